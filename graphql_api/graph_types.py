"""The object types of pages (connections) and of the lineage graph (`PageInfo` is
`graphql_api.page_info`'s)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

import strawberry

from graphql_api.context import ApiInfo
from graphql_api.inputs import LineageNodeKind
from graphql_api.page_info import PageInfo
from graphql_api.resolving import context_only
from graphql_api.types import DObject, DObjectVersion, Notebook, Pipeline, Run
from lineage_read import lineage


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
        return info.context.loaders.at(self.as_of).run.load(uuid.UUID(self.id))  # type: ignore[return-value]

    dobject_id: strawberry.Private[uuid.UUID | None] = None  # a version node's dobject

    @strawberry.field
    @context_only
    def dobject(self, info: ApiInfo) -> DObject | None:
        if self.kind is LineageNodeKind.DOBJECT_VERSION:
            if self.dobject_id is None:
                return None
            return info.context.loaders.at(self.as_of).dobject.load(self.dobject_id)  # type: ignore[return-value]
        if self.kind is not LineageNodeKind.DOBJECT:
            return None
        return info.context.loaders.at(self.as_of).dobject.load(uuid.UUID(self.id))  # type: ignore[return-value]

    @strawberry.field(description="The version, for a DOBJECT_VERSION node.")
    @context_only
    def version(self, info: ApiInfo) -> DObjectVersion | None:
        if self.kind is not LineageNodeKind.DOBJECT_VERSION:
            return None
        return info.context.loaders.at(self.as_of).version.load(uuid.UUID(self.id))  # type: ignore[return-value]


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

    @classmethod
    def from_row(cls, root: uuid.UUID, walk: lineage.Walk, at: datetime | None) -> LineageGraph:
        """The graph of a walk from `root`, as of `at` (its nodes' relations follow it)."""
        return cls(
            root=strawberry.ID(str(root)),
            nodes=[
                LineageNode(id=strawberry.ID(i), kind=LineageNodeKind(k), depth=d, as_of=at)
                for i, k, d in walk.nodes
            ],
            edges=[
                LineageEdge(source=strawberry.ID(s), target=strawberry.ID(t)) for s, t in walk.edges
            ],
            truncated=walk.truncated,
        )
