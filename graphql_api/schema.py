"""The schema: the root types of query.py and subscription_root.py, the one extension
of documents.py, and the two ways it runs faster than strawberry's defaults (fast
filter inputs, direct resolvers)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLObjectType
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from graphql_api import _graphql_compat, _strawberry_compat
from graphql_api.date_time import DATE_TIME_SCALAR
from graphql_api.documents import RequestPipeline
from graphql_api.inputs import BIG_INT_SCALAR, BigInt, install_fast_inputs
from graphql_api.query import Query
from graphql_api.resolving import CONTEXT_ONLY
from graphql_api.subscription_root import Subscription


class LineageExecutor(_strawberry_compat.BaseExecutor):
    """strawberry's executor, without graphql-core 3.3's per-subscription memo that grows
    with every event (_graphql_compat.forget_subfields)."""

    def build_per_event_executor(self, payload: Any) -> Any:
        executor = super().build_per_event_executor(payload)
        _graphql_compat.forget_subfields(executor)
        return executor


class LineageSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Errors are logged by the HTTP layer with the request id (errors.format_error)."""


def build_schema() -> LineageSchema:
    """The schema with its caches and limits (built by create_app, not at import)."""
    schema = LineageSchema(
        query=Query,
        subscription=Subscription,
        config=StrawberryConfig(scalar_map={BigInt: BIG_INT_SCALAR, datetime: DATE_TIME_SCALAR}),
        extensions=[RequestPipeline],
        execution_context_class=LineageExecutor,
    )
    install_fast_inputs(schema.config.name_converter.from_field)
    direct_resolvers(schema)
    return schema


def direct_resolvers(schema: LineageSchema) -> int:
    """Give graphql-core the `@context_only` relation resolvers themselves, and a plain
    getattr for attribute fields: strawberry's wrapper builds an Info, converts (no)
    arguments and runs (no) field extensions on every call, which on a page of 100
    objects is most of what a relation costs. Returns how many fields it changed."""
    changed = 0
    for type_ in _strawberry_compat.graphql_schema(schema).type_map.values():
        if not isinstance(type_, GraphQLObjectType):
            continue
        for field in type_.fields.values():
            definition = _strawberry_compat.strawberry_field(field)
            if (
                definition is None
                or definition.arguments
                or definition.extensions
                or definition.is_subscription
            ):
                continue
            function = _strawberry_compat.resolver_function(definition)
            if function is None:  # a plain attribute: strawberry's default is getattr
                field.resolve = partial(_attribute, definition.python_name)
                changed += 1
            elif getattr(function, CONTEXT_ONLY, False):
                field.resolve = function  # called (source, info)
                changed += 1
    return changed


def _attribute(name: str, source: Any, _info: Any) -> Any:
    return getattr(source, name)
