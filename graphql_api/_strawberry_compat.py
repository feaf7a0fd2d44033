"""Every use of strawberry's private or internal names, in one place.

The API's hot path skips parts of strawberry that cost more than the query itself
(its per-request extension runner, its per-call resolver wrapper, its generic input
conversion). Doing so needs names strawberry does not promise to keep. They are used
here only, pinned to the minor version in pyproject.toml, and
tests/unit/test_framework_compat.py fails naming the symbol when an upgrade removes or
changes one of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeGuard, cast

import strawberry
from graphql import FieldNode, GraphQLField, GraphQLSchema
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema import validate_document as strawberry_validate
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import Info
from strawberry.types.base import StrawberryObjectDefinition, StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition
from strawberry.types.field import StrawberryField

# graphql-core's `is_awaitable` with strawberry's fast path for plain values
is_awaitable = cast("Callable[[Any], TypeGuard[Awaitable[Any]]]", optimized_is_awaitable)

# validation as `Schema.execute` runs it: the given rules plus strawberry's own two
validate_document = strawberry_validate


def graphql_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema strawberry built (`Schema._schema`)."""
    return schema._schema


# the graphql-core executor strawberry executes with by default (schema.py subclasses it)
BaseExecutor = StrawberryGraphQLCoreExecutionContext


def executor_class(schema: strawberry.Schema) -> Any:
    """The graphql-core executor class strawberry executes with."""
    return schema.execution_context_class


def field_nodes(info: Info[Any, Any]) -> list[FieldNode]:
    """The syntax nodes of the field being resolved (`Info._raw_info.field_nodes`)."""
    return list(info._raw_info.field_nodes)


def strawberry_field(field: GraphQLField) -> StrawberryField | None:
    """The strawberry field a graphql-core field was converted from."""
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return definition if isinstance(definition, StrawberryField) else None


def resolver_function(definition: StrawberryField) -> Callable[..., Any] | None:
    """The function a field's resolver wraps (`StrawberryResolver._unbound_wrapped_func`),
    None for a plain attribute."""
    resolver = definition.base_resolver
    if resolver is None:
        return None
    return resolver._unbound_wrapped_func


def input_definition(cls: type) -> StrawberryObjectDefinition:
    """The definition of a `@strawberry.input` class (`__strawberry_definition__`)."""
    definition = getattr(cls, "__strawberry_definition__", None)
    if not isinstance(definition, StrawberryObjectDefinition):
        raise TypeError(f"{cls!r} is not a strawberry type")
    return definition


def optional_inner(type_: Any) -> Any:
    """`T` of an optional field type `T | None`, else the type itself."""
    return type_.of_type if isinstance(type_, StrawberryOptional) else type_


def enum_class(type_: Any) -> type | None:
    """The Python enum behind a strawberry enum type, else None."""
    return type_.wrapped_cls if isinstance(type_, StrawberryEnumDefinition) else None


def set_from_input(cls: type, build: Callable[[Any], Any]) -> None:
    """Have strawberry build the input `cls` with `build(value)` from graphql-core's
    coerced value (the `from_input` hook of its definition)."""
    input_definition(cls).from_input = lambda _type, value, _context: build(value)
