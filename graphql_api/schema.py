"""The schema: root queries, the subscription, and the extensions every request runs."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Final

import strawberry
from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSyntaxError,
)
from graphql.language.parser import parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from graphql_api import _graphql_compat, _strawberry_compat, questions
from graphql_api.context import ApiInfo, RequestContext
from graphql_api.date_time import DATE_TIME_SCALAR
from graphql_api.errors import QUERY_TOO_COMPLEX, bad_input
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
    parse_id,
)
from graphql_api.question_types import ColumnLineage, Impact, RunDiff
from graphql_api.ratelimit import charged_to_caller
from graphql_api.rules import ComplexityRule, complexity_errors, too_deep_to_parse
from graphql_api.status import projection_status
from graphql_api.subscription_root import Subscription
from graphql_api.types import (
    CONTEXT_ONLY,
    DObject,
    DObjectConnection,
    LineageEdge,
    LineageGraph,
    LineageNode,
    Notebook,
    NotebookConnection,
    Pipeline,
    PipelineConnection,
    ProjectionStatus,
    Run,
    RunConnection,
    loaders_at,
)
from lineage_read import pages
from lineage_read.lineage import MAX_DEPTH, walk

# `asOf` of the root fields: the answer as it stood at that instant (dao/as_of.py).
AsOf = Annotated[
    datetime | None,
    strawberry.argument(
        description="The answer as it stood at this instant (RFC 3339 with an offset): "
        "only events that occurred by then count. Nested fields inherit it."
    ),
]


def selects(info: ApiInfo, *path: str) -> bool:
    """Whether the field's selection asks for `path` (e.g. "nodes", "inputs") in plain
    fields; one behind a fragment or directive counts as not asked (its loader runs)."""
    nodes = _strawberry_compat.field_nodes(info)
    for name in path:
        nodes = [
            sel
            for node in nodes
            if node.selection_set is not None
            for sel in node.selection_set.selections
            if isinstance(sel, FieldNode) and sel.name.value == name and not sel.directives
        ]
        if not nodes:
            return False
    return True


@strawberry.type
class Query:
    @strawberry.field(description="The run with this id; null if there is none.")
    async def run(self, info: ApiInfo, id: strawberry.ID, as_of: AsOf = None) -> Run | None:
        loaders = loaders_at(info, questions.instant(as_of))
        return await loaders.run.load(parse_id(id, "run id"))

    @strawberry.field(description="Runs matching the filter, oldest first.")
    async def runs(
        self,
        info: ApiInfo,
        filter: RunFilter | None = None,
        first: int | None = 100,
        after: str | None = None,
        as_of: AsOf = None,
    ) -> RunConnection:
        ctx = info.context
        at = questions.instant(as_of)
        found = await pages.runs_page(
            ctx.db, filter, first, after, with_inputs=selects(info, "nodes", "inputs"), at=at
        )
        if at is not None:
            ctx.loaders.at(at).prime_runs(found.page.nodes)
            page = found.page
            return RunConnection(nodes=page.nodes, page_info=page.page_info, count=page.count)
        ctx.loaders.prime_runs(found.page.nodes)
        ctx.loaders.prime_transforms(found.transforms)
        ctx.loaders.prime_run_inputs(found.inputs)
        page = found.page
        return RunConnection(nodes=page.nodes, page_info=page.page_info, count=page.count)

    @strawberry.field(description="The dobject with this id; null if there is none.")
    async def dobject(self, info: ApiInfo, id: strawberry.ID, as_of: AsOf = None) -> DObject | None:
        loaders = loaders_at(info, questions.instant(as_of))
        return await loaders.dobject.load(parse_id(id, "dobject id"))

    @strawberry.field(description="DObjects matching the filter, oldest first.")
    async def dobjects(
        self,
        info: ApiInfo,
        filter: DObjectFilter | None = None,
        first: int | None = 100,
        after: str | None = None,
        as_of: AsOf = None,
    ) -> DObjectConnection:
        at = questions.instant(as_of)
        page, sources = await pages.dobjects_page(info.context.db, filter, first, after, at)
        info.context.loaders.prime_runs(sources)
        return DObjectConnection(nodes=page.nodes, page_info=page.page_info, count=page.count)

    @strawberry.field(description="Notebooks matching the filter, oldest first.")
    async def notebooks(
        self,
        info: ApiInfo,
        filter: TransformFilter | None = None,
        first: int | None = 100,
        after: str | None = None,
    ) -> NotebookConnection:
        page = await pages.transforms_page(
            info.context.db, TransformType.NOTEBOOK, filter, first, after
        )
        nodes = [n for n in page.nodes if isinstance(n, Notebook)]  # all are: type = notebook
        return NotebookConnection(nodes=nodes, page_info=page.page_info, count=page.count)

    @strawberry.field(description="Pipelines matching the filter, oldest first.")
    async def pipelines(
        self,
        info: ApiInfo,
        filter: TransformFilter | None = None,
        first: int | None = 100,
        after: str | None = None,
    ) -> PipelineConnection:
        page = await pages.transforms_page(
            info.context.db, TransformType.PIPELINE, filter, first, after
        )
        nodes = [n for n in page.nodes if isinstance(n, Pipeline)]  # all are: type = pipeline
        return PipelineConnection(nodes=nodes, page_info=page.page_info, count=page.count)

    @strawberry.field(description="The lineage graph around one dobject or one run.")
    async def lineage(
        self,
        info: ApiInfo,
        dobject_id: strawberry.ID | None = None,
        run_id: strawberry.ID | None = None,
        direction: LineageDirection | None = LineageDirection.UPSTREAM,
        depth: int | None = 10,
        *,
        as_of: AsOf = None,
    ) -> LineageGraph:
        at = questions.instant(as_of)
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
        found = await walk(info.context.db, root, kind.value, direction.value, depth, at=at)
        if not found.root_exists:
            raise questions.not_found(kind.value, root, at)
        return LineageGraph(
            root=strawberry.ID(str(root)),
            nodes=[
                LineageNode(id=strawberry.ID(i), kind=LineageNodeKind(k), depth=d, as_of=at)
                for i, k, d in found.nodes
            ],
            edges=[
                LineageEdge(source=strawberry.ID(s), target=strawberry.ID(t))
                for s, t in found.edges
            ],
            truncated=found.truncated,
        )

    @strawberry.field(
        description="Everything downstream of one dobject or one run, nearest first, and "
        "the order to re-run it."
    )
    async def impact(
        self,
        info: ApiInfo,
        dobject_id: strawberry.ID | None = None,
        run_id: strawberry.ID | None = None,
        as_of: AsOf = None,
    ) -> Impact:
        return await questions.impact(info, dobject_id, run_id, as_of)

    @strawberry.field(description="How run `after` differs from run `before`.")
    async def run_diff(self, info: ApiInfo, before: strawberry.ID, after: strawberry.ID) -> RunDiff:
        return await questions.diff_runs(info, before, after)

    @strawberry.field(description="Field-to-field lineage around one dobject's field(s).")
    async def column_lineage(
        self,
        info: ApiInfo,
        dobject_id: strawberry.ID,
        field: str | None = None,
        direction: LineageDirection | None = LineageDirection.UPSTREAM,
        depth: int | None = 10,
    ) -> ColumnLineage:
        return await questions.column_lineage(info, dobject_id, field, direction, depth)

    @strawberry.field(description="How far the projection has applied the event stream.")
    async def projection_status(self, info: ApiInfo) -> ProjectionStatus:
        return await projection_status(info.context.resources)


MAX_TOKENS: Final = 10_000


def parse_bounded(query: str) -> DocumentNode:
    """The document, refused past MAX_TOKENS: parsing and validating a 1 MiB document
    holds the event loop for seconds, so a big one is turned away while parsing it."""
    too_deep = too_deep_to_parse(query)
    if too_deep is not None:
        raise too_deep
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLSyntaxError as error:
        if not _graphql_compat.is_token_limit(error):
            raise
        raise GraphQLError(
            f"the document has more than {MAX_TOKENS} tokens",
            extensions={"code": QUERY_TOO_COMPLEX},
        ) from None
    _graphql_compat.unlink_tokens(document)
    return document


# The text the document cache may hold in all: a parsed document keeps ~1-2 objects per
# character (its tokens and nodes), and every full pass of the garbage collector walks
# them; the documents real clients repeat are a few KiB each.
CACHE_CHARS: Final = 256 * 1024


class DocumentCache:
    """Parsed documents and their validation errors by query text (LRU, bounded).

    Keyed by the text, whose hash Python keeps: a cache keyed by the parsed document
    would rehash its whole syntax tree on every lookup."""

    def __init__(self, maxsize: int = 1000, max_chars: int = CACHE_CHARS) -> None:
        self.maxsize = maxsize
        self.max_chars = max_chars
        self._chars = 0  # the text of the documents held
        self._entries: OrderedDict[str, list[Any]] = OrderedDict()

    def knows(self, query: str) -> bool:
        return query in self._entries

    def parse(self, query: str) -> DocumentNode:
        entry = self._entries.get(query)
        if entry is None:
            with charged_to_caller():
                document = parse_bounded(query)
            entry = self._entries[query] = [document, None, None]
            self._chars += len(query)
            while len(self._entries) > 1 and (
                len(self._entries) > self.maxsize or self._chars > self.max_chars
            ):
                oldest, _ = self._entries.popitem(last=False)
                self._chars -= len(oldest)
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
            return _validate(schema, document, rules)
        if entry[1] != rules:
            entry[1], entry[2] = (rules, _validate(schema, document, rules))
        return entry[2]  # type: ignore[no-any-return]


def _validate(
    schema: GraphQLSchema, document: DocumentNode, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    """The complexity rule alone first: a depth or alias bomb is refused before the
    standard rules (OverlappingFieldsCanBeMerged is quadratic in the fields) spend up to
    a second of CPU on it."""
    with charged_to_caller():
        if ComplexityRule in rules:
            refused = complexity_errors(document)
            if refused:
                return refused
        return _strawberry_compat.validate_document(schema, document, rules)


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
        if isinstance(context, RequestContext):
            errors = ec.result.errors if ec.result is not None else None
            context.metrics.observe(
                ec.operation_name or "anonymous", time.perf_counter() - started, ok=not errors
            )

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        query = ec.query or ""  # strawberry parses only when there is a query
        ec.graphql_document = (
            documents.parse(query) if not ec.parse_options else parse(query, **ec.parse_options)
        )
        yield

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        if ec.graphql_document is not None:  # strawberry validates only a parsed document
            ec.pre_execution_errors = documents.validate(
                _strawberry_compat.graphql_schema(ec.schema),
                ec.query or "",
                ec.graphql_document,
                tuple(ec.validation_rules),
            )
        yield


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
