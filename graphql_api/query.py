"""The root queries (the subscriptions are in subscription_root.py). Resolvers stay
thin: they check and convert the arguments, ask the read model (lineage_read), and
build objects from its rows; the relations of those objects resolve through the
request's loaders."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from graphql import FieldNode

from graphql_api import _strawberry_compat, questions
from graphql_api.context import ApiInfo
from graphql_api.errors import bad_input
from graphql_api.graph_types import (
    DObjectConnection,
    LineageGraph,
    NotebookConnection,
    PipelineConnection,
    RunConnection,
)
from graphql_api.inputs import (
    DObjectFilter,
    LineageDirection,
    LineageNodeKind,
    RunFilter,
    TransformFilter,
    parse_id,
)
from graphql_api.page_info import PageInfo
from graphql_api.question_types import ColumnLineage, Impact, RunDiff
from graphql_api.status import projection_status
from graphql_api.status_types import ProjectionStatus
from graphql_api.types import DObject, DObjectVersion, Notebook, Pipeline, Run, Transform
from graphql_api.version_questions import dobject_version, lineage_of_version
from graphql_api.watch_admin import watch_deliveries, watches
from graphql_api.watch_types import Watch, WatchDelivery
from lineage_read import pages
from lineage_read.errors import not_found
from lineage_read.lineage import MAX_DEPTH, walk
from lineage_read.rows import TransformType

# `asOf` of the root fields: the answer as it stood at that instant (lineage_read/as_of.py).
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


def _filter(value: RunFilter | DObjectFilter | TransformFilter | None) -> Any:
    return None if value is None else value.to_filter()


@strawberry.type
class Query:
    @strawberry.field(description="The run with this id; null if there is none.")
    async def run(self, info: ApiInfo, id: strawberry.ID, as_of: AsOf = None) -> Run | None:
        loaders = info.context.loaders.at(questions.instant(as_of))
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
        at = questions.instant(as_of)
        found = await pages.runs_page(
            info.context.db,
            _filter(filter),
            first,
            after,
            with_inputs=selects(info, "nodes", "inputs"),
            at=at,
        )
        loaders = info.context.loaders.at(at)
        nodes = [Run.from_row(row) for row in found.page.nodes]
        loaders.prime_runs(nodes)
        loaders.prime_transforms([Transform.from_row(row) for row in found.transforms])
        loaders.prime_run_inputs(
            {k: [DObject.from_row(d) for d in rows] for k, rows in found.inputs.items()}
        )
        page = found.page
        return RunConnection(
            nodes=nodes, page_info=PageInfo.from_row(page.page_info), count=page.count
        )

    @strawberry.field(description="The dobject with this id; null if there is none.")
    async def dobject(self, info: ApiInfo, id: strawberry.ID, as_of: AsOf = None) -> DObject | None:
        loaders = info.context.loaders.at(questions.instant(as_of))
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
        found = await pages.dobjects_page(info.context.db, _filter(filter), first, after, at)
        info.context.loaders.prime_runs([Run.from_row(row) for row in found.sources])
        page = found.page
        return DObjectConnection(
            nodes=[DObject.from_row(row) for row in page.nodes],
            page_info=PageInfo.from_row(page.page_info),
            count=page.count,
        )

    @strawberry.field(description="Notebooks matching the filter, oldest first.")
    async def notebooks(
        self,
        info: ApiInfo,
        filter: TransformFilter | None = None,
        first: int | None = 100,
        after: str | None = None,
    ) -> NotebookConnection:
        page = await pages.transforms_page(
            info.context.db, TransformType.NOTEBOOK, _filter(filter), first, after
        )
        nodes = [Transform.from_row(row) for row in page.nodes]
        return NotebookConnection(
            nodes=[n for n in nodes if isinstance(n, Notebook)],  # all are: type = notebook
            page_info=PageInfo.from_row(page.page_info),
            count=page.count,
        )

    @strawberry.field(description="Pipelines matching the filter, oldest first.")
    async def pipelines(
        self,
        info: ApiInfo,
        filter: TransformFilter | None = None,
        first: int | None = 100,
        after: str | None = None,
    ) -> PipelineConnection:
        page = await pages.transforms_page(
            info.context.db, TransformType.PIPELINE, _filter(filter), first, after
        )
        nodes = [Transform.from_row(row) for row in page.nodes]
        return PipelineConnection(
            nodes=[n for n in nodes if isinstance(n, Pipeline)],  # all are: type = pipeline
            page_info=PageInfo.from_row(page.page_info),
            count=page.count,
        )

    @strawberry.field(description="One version of a dobject.")
    async def dobject_version(
        self, info: ApiInfo, id: strawberry.ID, as_of: AsOf = None
    ) -> DObjectVersion | None:
        return await dobject_version(info, id, questions.instant(as_of))

    @strawberry.field(description="The lineage graph around one dobject, run or version.")
    async def lineage(
        self,
        info: ApiInfo,
        dobject_id: strawberry.ID | None = None,
        run_id: strawberry.ID | None = None,
        direction: LineageDirection | None = LineageDirection.UPSTREAM,
        depth: int | None = 10,
        *,
        as_of: AsOf = None,
        version_id: strawberry.ID | None = None,
    ) -> LineageGraph:
        at = questions.instant(as_of)
        direction = direction or LineageDirection.UPSTREAM
        depth = 10 if depth is None else depth
        if sum(r is not None for r in (dobject_id, run_id, version_id)) != 1:
            raise bad_input("give exactly one of dobjectId, runId and versionId")
        if not 1 <= depth <= MAX_DEPTH:
            raise bad_input(f"depth must be between 1 and {MAX_DEPTH}, got {depth}")
        if version_id is not None:
            return await lineage_of_version(info, version_id, direction, depth, at)
        kind = LineageNodeKind.DOBJECT if dobject_id is not None else LineageNodeKind.RUN
        root = parse_id(
            dobject_id if dobject_id is not None else run_id,  # type: ignore[arg-type]
            "dobjectId" if dobject_id is not None else "runId",
        )
        found = await walk(info.context.db, root, kind.value, direction.value, depth, at=at)
        if not found.root_exists:
            raise not_found(kind.value, root, at)
        return LineageGraph.from_row(root, found, at)

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

    @strawberry.field(
        description="Durable watches with their delivery counts and last failure, by name "
        "(the `admin` scope only)."
    )
    async def watches(self, info: ApiInfo) -> list[Watch]:
        return await watches(info)

    @strawberry.field(
        description="A durable watch's latest deliveries, newest first (the `admin` scope only)."
    )
    async def watch_deliveries(
        self, info: ApiInfo, watch_id: strawberry.ID, failed_only: bool = False, last: int = 50
    ) -> list[WatchDelivery]:
        return await watch_deliveries(info, watch_id, failed_only, last)
