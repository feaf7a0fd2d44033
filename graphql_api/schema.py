"""The schema: root queries, the subscription, and the extensions every request runs."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from functools import partial
from typing import Any, Final

import strawberry
from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSyntaxError,
)
from graphql.language.parser import parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import ExecutionContext, Info

from graphql_api.errors import NOT_FOUND, QUERY_TOO_COMPLEX, LineageError, bad_input
from graphql_api.filters import Sql, dobject_condition, run_condition, transform_condition
from graphql_api.inputs import (
    BIG_INT_SCALAR,
    BigInt,
    DObjectFilter,
    LineageDirection,
    LineageNodeKind,
    RunFilter,
    TransformFilter,
    TransformType,
    install_fast_inputs,
)
from graphql_api.lineage_sql import MAX_DEPTH, walk
from graphql_api.loaders import RUN_INPUTS_COLUMN
from graphql_api.pages import keyset_page, selects
from graphql_api.pagination import parse_id
from graphql_api.queries import (
    DOBJECT_COLUMNS,
    DOBJECT_WIDTH,
    RUN_COLUMNS,
    RUN_WIDTH,
    TRANSFORM_COLUMNS,
    dobject_of,
    run_of,
    transform_of,
)
from graphql_api.rules import ComplexityRule
from graphql_api.status import projection_status
from graphql_api.subscriptions import lineage_events
from graphql_api.types import (
    CONTEXT_ONLY,
    DObject,
    DObjectConnection,
    LineageEdge,
    LineageEvent,
    LineageGraph,
    LineageNode,
    NotebookConnection,
    PipelineConnection,
    ProjectionStatus,
    Run,
    RunConnection,
)


def _ctx(info: Info) -> Any:
    return info.context


async def _transform_page(
    info: Info,
    type_: TransformType,
    filter: TransformFilter | None,
    first: int | None,
    after: str | None,
) -> Any:
    sql = Sql()
    where = f"t.type = {sql.param(type_.value)} AND {transform_condition(sql, filter, 't')}"
    return await keyset_page(
        _ctx(info)["db"],
        sql,
        kind=type_.value,
        columns=TRANSFORM_COLUMNS,
        source="projection.transforms t",
        where=where,
        order=("t.registered_at", "t.id"),
        first=first,
        after=after,
        build=transform_of,
        count_source="projection.transforms t",
    )


@strawberry.type
class Query:
    @strawberry.field(description="The run with this id; null if there is none.")
    async def run(self, info: Info, id: strawberry.ID) -> Run | None:
        return await _ctx(info)["loaders"].run.load(parse_id(id, "run id"))  # type: ignore[no-any-return]

    @strawberry.field(description="Runs matching the filter, oldest first.")
    async def runs(
        self,
        info: Info,
        filter: RunFilter | None = None,
        first: int | None = 100,
        after: str | None = None,
    ) -> RunConnection:
        ctx = _ctx(info)
        sql = Sql()
        where = run_condition(sql, filter, "r")
        # the transform comes with the run, and the inputs when asked for: the usual
        # question ("which run made this, from what") is then one statement
        with_inputs = selects(info, "nodes", "inputs")
        columns = f"{RUN_COLUMNS}, {TRANSFORM_COLUMNS}"
        page = await keyset_page(
            ctx["db"],
            sql,
            kind="run",
            columns=f"{columns}, {RUN_INPUTS_COLUMN}" if with_inputs else columns,
            source="projection.runs r LEFT JOIN projection.transforms t ON t.id = r.transform_id",
            where=where,
            order=("r.first_seen_at", "r.id"),
            first=first,
            after=after,
            build=run_of,
            count_source="projection.runs r",
        )
        loaders = ctx["loaders"]
        loaders.prime_runs(page.nodes)
        loaders.prime_transforms(
            [transform_of(row, RUN_WIDTH) for row in page.rows if row[RUN_WIDTH] is not None]
        )
        if with_inputs:
            for row in page.rows:
                loaders.prime_run_inputs(row[0], row[-1])
        return RunConnection(nodes=page.nodes, page_info=page.page_info, count=page.count)

    @strawberry.field(description="The dobject with this id; null if there is none.")
    async def dobject(self, info: Info, id: strawberry.ID) -> DObject | None:
        return await _ctx(info)["loaders"].dobject.load(parse_id(id, "dobject id"))  # type: ignore[no-any-return]

    @strawberry.field(description="DObjects matching the filter, oldest first.")
    async def dobjects(
        self,
        info: Info,
        filter: DObjectFilter | None = None,
        first: int | None = 100,
        after: str | None = None,
    ) -> DObjectConnection:
        ctx = _ctx(info)
        sql = Sql()
        # the source runs come with the page (a page of dobjects usually shows them)
        page = await keyset_page(
            ctx["db"],
            sql,
            kind="dobject",
            columns=f"{DOBJECT_COLUMNS}, {RUN_COLUMNS}",
            source="projection.dobjects d LEFT JOIN projection.runs r ON r.id = d.source_run_id",
            where=dobject_condition(sql, filter, "d"),
            order=("d.created_at", "d.id"),
            first=first,
            after=after,
            build=dobject_of,
            count_source="projection.dobjects d",
        )
        ctx["loaders"].prime_runs(
            [run_of(row, DOBJECT_WIDTH) for row in page.rows if row[DOBJECT_WIDTH] is not None]
        )
        return DObjectConnection(nodes=page.nodes, page_info=page.page_info, count=page.count)

    @strawberry.field(description="Notebooks matching the filter, oldest first.")
    async def notebooks(
        self,
        info: Info,
        filter: TransformFilter | None = None,
        first: int | None = 100,
        after: str | None = None,
    ) -> NotebookConnection:
        page = await _transform_page(info, TransformType.NOTEBOOK, filter, first, after)
        return NotebookConnection(nodes=page.nodes, page_info=page.page_info, count=page.count)

    @strawberry.field(description="Pipelines matching the filter, oldest first.")
    async def pipelines(
        self,
        info: Info,
        filter: TransformFilter | None = None,
        first: int | None = 100,
        after: str | None = None,
    ) -> PipelineConnection:
        page = await _transform_page(info, TransformType.PIPELINE, filter, first, after)
        return PipelineConnection(nodes=page.nodes, page_info=page.page_info, count=page.count)

    @strawberry.field(description="The lineage graph around one dobject or one run.")
    async def lineage(
        self,
        info: Info,
        dobject_id: strawberry.ID | None = None,
        run_id: strawberry.ID | None = None,
        direction: LineageDirection | None = LineageDirection.UPSTREAM,
        depth: int | None = 10,
    ) -> LineageGraph:
        direction = direction or LineageDirection.UPSTREAM
        depth = 10 if depth is None else depth
        if (dobject_id is None) == (run_id is None):
            raise bad_input("give exactly one of dobjectId and runId")
        if not 1 <= depth <= MAX_DEPTH:
            raise bad_input(f"depth must be between 1 and {MAX_DEPTH}, got {depth}")
        kind = LineageNodeKind.DOBJECT if dobject_id is not None else LineageNodeKind.RUN
        root = parse_id(
            dobject_id if dobject_id is not None else run_id,  # type: ignore[arg-type]
            "dobjectId" if dobject_id is not None else "runId",
        )
        found = await walk(_ctx(info)["db"], root, kind.value, direction.value, depth)
        if not found.root_exists:
            raise LineageError(NOT_FOUND, f"no {kind.value.lower()} with id {root}")
        return LineageGraph(
            root=strawberry.ID(str(root)),
            nodes=[
                LineageNode(id=strawberry.ID(i), kind=LineageNodeKind(k), depth=d)
                for i, k, d in found.nodes
            ],
            edges=[
                LineageEdge(source=strawberry.ID(s), target=strawberry.ID(t))
                for s, t in found.edges
            ],
            truncated=found.truncated,
        )

    @strawberry.field(description="How far the projection has applied the event stream.")
    async def projection_status(self, info: Info) -> ProjectionStatus:
        return await projection_status(_ctx(info)["resources"])


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Events as they are published, filtered here.")
    async def lineage_events(
        self, info: Info, event_types: list[str] | None = None, transform_name: str | None = None
    ) -> AsyncIterator[LineageEvent]:
        async for event in lineage_events(_ctx(info)["resources"], event_types, transform_name):
            yield event


MAX_TOKENS: Final = 10_000


def parse_bounded(query: str) -> DocumentNode:
    """The document, refused past MAX_TOKENS: parsing and validating a 1 MiB document
    holds the event loop for seconds, so a big one is turned away while parsing it."""
    try:
        return parse(query, max_tokens=MAX_TOKENS)
    except GraphQLSyntaxError as error:
        if "Document contains more than" not in error.message:
            raise
        raise GraphQLError(
            f"the document has more than {MAX_TOKENS} tokens",
            extensions={"code": QUERY_TOO_COMPLEX},
        ) from None


class DocumentCache:
    """Parsed documents and their validation errors by query text (LRU, bounded).

    Keyed by the text, whose hash Python keeps: a cache keyed by the parsed document
    would rehash its whole syntax tree on every lookup."""

    def __init__(self, maxsize: int = 1000) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[str, list[Any]] = OrderedDict()

    def parse(self, query: str) -> DocumentNode:
        entry = self._entries.get(query)
        if entry is None:
            entry = self._entries[query] = [parse_bounded(query), None, None]
            if len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(query)
        return entry[0]  # type: ignore[no-any-return]

    def validate(
        self,
        schema: GraphQLSchema,
        query: str,
        document: DocumentNode,
        rules: tuple[type[ASTValidationRule], ...],
    ) -> list[GraphQLError]:
        entry = self._entries.get(query)
        if entry is None or entry[0] is not document:  # evicted meanwhile
            return validate_document(schema, document, rules)  # type: ignore[no-any-return]
        if entry[1] != rules:
            entry[1], entry[2] = rules, validate_document(schema, document, rules)
        return entry[2]  # type: ignore[no-any-return]


documents = DocumentCache()


class RequestPipeline(SchemaExtension):
    """Every operation's one extension: the complexity rule, parser and validation
    caches (DocumentCache, keyed by query text), and counting and timing by operation name for
    GET /metrics. One extension instead of four: each costs hooks on every request."""

    def on_operation(self) -> Iterator[None]:
        ec: ExecutionContext = self.execution_context
        ec.validation_rules = (*ec.validation_rules, ComplexityRule)
        started = time.perf_counter()
        yield
        context = ec.context
        metrics = context.get("metrics") if isinstance(context, dict) else None
        if metrics is not None:
            errors = ec.result.errors if ec.result is not None else None
            metrics.observe(
                ec.operation_name or "anonymous", time.perf_counter() - started, ok=not errors
            )

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        ec.graphql_document = (
            documents.parse(ec.query)
            if not ec.parse_options
            else parse(ec.query, **ec.parse_options)
        )
        yield

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        ec.pre_execution_errors = documents.validate(
            ec.schema._schema, ec.query, ec.graphql_document, tuple(ec.validation_rules)
        )
        yield


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
        config=StrawberryConfig(scalar_map={BigInt: BIG_INT_SCALAR}),
        extensions=[RequestPipeline],
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
    for type_ in schema._schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType):
            continue
        for field in type_.fields.values():
            definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if (
                definition is None
                or definition.arguments
                or definition.extensions
                or definition.is_subscription
            ):
                continue
            resolver = definition.base_resolver
            if resolver is None:  # a plain attribute: strawberry's default is getattr
                field.resolve = partial(_attribute, definition.python_name)
                changed += 1
            elif getattr(resolver._unbound_wrapped_func, CONTEXT_ONLY, False):
                field.resolve = resolver._unbound_wrapped_func  # called (source, info)
                changed += 1
    return changed


def _attribute(name: str, source: Any, _info: Any) -> Any:
    return getattr(source, name)
