"""The object types of the schema. Every relation resolves through a per-request
DataLoader (`info.context.loaders`), so a list of N runs costs one statement per
relation, not N.

Relation resolvers return a loader's future where graphql-core awaits it, so their
return annotations (which make the schema) name the loaded type: those lines carry
`type: ignore[return-value]`."""

from __future__ import annotations

import inspect
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON

from graphql_api.context import ApiInfo
from graphql_api.inputs import BigInt, LineageNodeKind, RunStatus, TransformType

if TYPE_CHECKING:  # the loaders build these types
    from graphql_api.loaders import Loaders

F = TypeVar("F", bound=Callable[..., Any])
V = TypeVar("V")
C = TypeVar("C")

# Relation resolvers are plain functions returning the loader's value when this request
# already has it, else the loader's future (graphql-core awaits it). That spares a
# coroutine per field, which is most of the cost of a page of 100 objects.


CONTEXT_ONLY: Final = "__lineage_context_only__"


def context_only(func: F) -> F:
    """Mark a relation resolver that takes no arguments and reads nothing of `info` but
    `info.context`: the schema then has graphql-core call it directly, with graphql-core's
    info, instead of through strawberry's per-call wrapper (schema.direct_resolvers)."""
    setattr(func, CONTEXT_ONLY, True)
    return func


def _now_or_later(loader: DataLoader[uuid.UUID, V], key: uuid.UUID) -> V | Awaitable[V]:
    """The value the request already loaded for `key`, else the loader's future."""
    future = loader.cache_map.get(key)
    if (
        future is not None
        and future.done()
        and not future.cancelled()
        and future.exception() is None
    ):
        return future.result()
    return loader.load(key)


async def _only(pending: Awaitable[object], cls: type[C]) -> C | None:
    value = await pending
    return value if isinstance(value, cls) else None


def loaders_at(info: ApiInfo, at: datetime | None) -> Loaders:
    """The request's loaders as of `at` (an object built as of an instant carries it, so
    its relations are read as of the same instant); None: as of now."""
    loaders = info.context.loaders
    return loaders if at is None else loaders.at(at)


def _of_type(value: object, cls: type[C]) -> C | Awaitable[C | None] | None:
    if inspect.isawaitable(value):
        return _only(value, cls)
    return value if isinstance(value, cls) else None


@strawberry.interface(description="What a run executes: a notebook or a pipeline.")
class Transform:
    id: strawberry.ID
    type: TransformType
    name: str
    version: str
    as_of: strawberry.Private[datetime | None] = None

    @strawberry.field(description="The runs of this transform, oldest first.")
    @context_only
    def runs(self, info: ApiInfo) -> list[Run]:
        return loaders_at(info, self.as_of).transform_runs.load(uuid.UUID(self.id))  # type: ignore[return-value]


@strawberry.type
class Notebook(Transform):
    title: str | None


@strawberry.type
class Pipeline(Transform):
    reference: str | None


@strawberry.type(description="One execution of a transform.")
class Run:
    id: strawberry.ID
    name: str | None
    status: RunStatus
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    transform_id: strawberry.Private[uuid.UUID | None]
    first_seen_at: strawberry.Private[datetime]
    parent_run_id: strawberry.Private[uuid.UUID | None] = None
    as_of: strawberry.Private[datetime | None] = None  # built as of this instant

    @strawberry.field(description="Null only while RunStarted has not arrived.")
    @context_only
    def transform(self, info: ApiInfo) -> Transform | None:
        if self.transform_id is None:
            return None
        return _now_or_later(loaders_at(info, self.as_of).transform, self.transform_id)  # type: ignore[return-value]

    @strawberry.field
    @context_only
    def notebook(self, info: ApiInfo) -> Notebook | None:
        return _of_type(self.transform(info), Notebook)  # type: ignore[return-value]

    @strawberry.field
    @context_only
    def pipeline(self, info: ApiInfo) -> Pipeline | None:
        return _of_type(self.transform(info), Pipeline)  # type: ignore[return-value]

    @strawberry.field(description="The dobjects it loaded (not those it produced itself).")
    @context_only
    def inputs(self, info: ApiInfo) -> list[DObject]:
        return loaders_at(info, self.as_of).run_inputs.load(uuid.UUID(self.id))  # type: ignore[return-value]

    @strawberry.field(description="The dobjects it produced (it is their source).")
    @context_only
    def outputs(self, info: ApiInfo) -> list[DObject]:
        return loaders_at(info, self.as_of).run_outputs.load(uuid.UUID(self.id))  # type: ignore[return-value]

    @strawberry.field(description="Runs that produced an input of this run.")
    @context_only
    def upstream_runs(self, info: ApiInfo) -> list[Run]:
        return loaders_at(info, self.as_of).upstream_runs.load(uuid.UUID(self.id))  # type: ignore[return-value]

    @strawberry.field(description="Runs that loaded an output of this run.")
    @context_only
    def downstream_runs(self, info: ApiInfo) -> list[Run]:
        return loaders_at(info, self.as_of).downstream_runs.load(uuid.UUID(self.id))  # type: ignore[return-value]

    @strawberry.field(description="The run that started this one (its RunStarted's parent).")
    @context_only
    def parent(self, info: ApiInfo) -> Run | None:
        if self.parent_run_id is None:
            return None
        return _now_or_later(loaders_at(info, self.as_of).run, self.parent_run_id)  # type: ignore[return-value]

    @strawberry.field(description="The runs this one started, oldest first.")
    @context_only
    def children(self, info: ApiInfo) -> list[Run]:
        return loaders_at(info, self.as_of).run_children.load(uuid.UUID(self.id))  # type: ignore[return-value]

    @strawberry.field(description="OpenLineage run facets merged over its events; null when none.")
    @context_only
    def facets(self, info: ApiInfo) -> JSON | None:
        return info.context.loaders.run_facets.load(uuid.UUID(self.id))  # type: ignore[return-value]


@strawberry.type(description="A data object: a file or dataset that runs produce and load.")
class DObject:
    id: strawberry.ID
    name: str
    suffix: str
    size: BigInt | None
    hash: str | None
    uri: str | None
    created_at: datetime
    source_run_id: strawberry.Private[uuid.UUID | None]
    # the `fields` column: JSON text of [{name, type, description}], or None
    fields_json: strawberry.Private[str | None] = None
    as_of: strawberry.Private[datetime | None] = None  # built as of this instant

    @strawberry.field(description="The run that produced it.")
    @context_only
    def source(self, info: ApiInfo) -> Run | None:
        if self.source_run_id is None:
            return None
        return _now_or_later(loaders_at(info, self.as_of).run, self.source_run_id)  # type: ignore[return-value]

    @strawberry.field(description="The runs that loaded it as an input.")
    @context_only
    def targets(self, info: ApiInfo) -> list[Run]:
        return loaders_at(info, self.as_of).dobject_targets.load(uuid.UUID(self.id))  # type: ignore[return-value]

    @strawberry.field(
        description="Its schema, in the producer's order, when a producer sent one (the "
        "earliest registration that carries fields); not affected by asOf."
    )
    def fields(self) -> list[DObjectField]:
        if self.fields_json is None:
            return []
        return [
            DObjectField(name=f["name"], type=f.get("type"), description=f.get("description"))
            for f in json.loads(self.fields_json)
        ]


@strawberry.type(name="Field", description="One field of a dobject's schema.")
class DObjectField:
    name: str
    type: str | None
    description: str | None


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class RunConnection:
    nodes: list[Run]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many runs match the filter, over all pages.")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.type
class DObjectConnection:
    nodes: list[DObject]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many dobjects match the filter, over all pages.")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.type
class NotebookConnection:
    nodes: list[Notebook]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many notebooks match the filter, over all pages.")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.type
class PipelineConnection:
    nodes: list[Pipeline]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many pipelines match the filter, over all pages.")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.type
class LineageNode:
    id: strawberry.ID
    kind: LineageNodeKind
    depth: int = strawberry.field(description="Hops from the root (dobject -> run is one).")
    as_of: strawberry.Private[datetime | None] = None  # the graph's asOf

    @strawberry.field
    @context_only
    def run(self, info: ApiInfo) -> Run | None:
        if self.kind is not LineageNodeKind.RUN:
            return None
        return loaders_at(info, self.as_of).run.load(uuid.UUID(self.id))  # type: ignore[return-value]

    @strawberry.field
    @context_only
    def dobject(self, info: ApiInfo) -> DObject | None:
        if self.kind is not LineageNodeKind.DOBJECT:
            return None
        return loaders_at(info, self.as_of).dobject.load(uuid.UUID(self.id))  # type: ignore[return-value]


@strawberry.type(description="Data flow: dobject -> run (input), run -> dobject (output).")
class LineageEdge:
    source: strawberry.ID
    target: strawberry.ID


@strawberry.type
class LineageGraph:
    root: strawberry.ID
    nodes: list[LineageNode]
    edges: list[LineageEdge]
    truncated: bool = strawberry.field(
        description="True exactly when some node was left out, by the depth or a cap."
    )


@strawberry.type
class ProjectionStatus:
    applied_sequence: BigInt
    stream_sequence: BigInt
    lag: BigInt
    last_event_at: datetime | None


@strawberry.type
class LineageEvent:
    event_id: strawberry.ID
    event_type: str
    run_id: strawberry.ID | None
    occurred_at: datetime
    sequence: BigInt
    payload: JSON
