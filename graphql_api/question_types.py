"""The object types of the lineage questions: impact, run diff and column lineage.

They hold ids from one statement each (lineage_read/impact.py, run_diff.py,
column_lineage.py) and get runs and dobjects from the request's loaders, so a whole
answer costs one statement per kind of object, whatever its size."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from graphql_api.context import ApiInfo
from graphql_api.resolving import context_only
from graphql_api.types import DObject, DObjectVersion, Run, Transform

# An impact may list thousands of nodes: its runs and dobjects are loaded in one batch
# each by the root resolver and held here, not resolved one future per node.


@strawberry.type
class ImpactedRun:
    run: Run
    distance: int = strawberry.field(description="Hops from the root (root dobject -> run is 1).")


@strawberry.type
class ImpactedDObject:
    dobject: DObject
    distance: int = strawberry.field(description="Hops from the root (root run -> output is 1).")


@strawberry.type(description="Everything downstream of a dobject or a run.")
class Impact:
    root: strawberry.ID
    runs: list[ImpactedRun] = strawberry.field(
        description="Every run downstream of the root, nearest first."
    )
    dobjects: list[ImpactedDObject] = strawberry.field(
        description="Every dobject downstream of the root, nearest first."
    )
    total_runs: int
    total_d_objects: int = strawberry.field(name="totalDObjects")
    truncated: bool = strawberry.field(
        description="True when a cap (10,000 nodes, 1,000 hops) cut the walk."
    )
    rerun_order: list[Run] = strawberry.field(
        description="The impacted runs, each after every impacted run that produced one of "
        "its inputs (runs in a cycle come in any order)."
    )
    transform_ids: strawberry.Private[list[uuid.UUID]]
    as_of: strawberry.Private[datetime | None]

    @strawberry.field(
        description="The distinct transforms of the impacted runs, in the order they re-run."
    )
    @context_only
    def transforms(self, info: ApiInfo) -> list[Transform]:
        return info.context.loaders.at(self.as_of).transform.load_many(self.transform_ids)  # type: ignore[return-value]


@strawberry.type
class VersionPair:
    """The two sides' versions of a comparison (a run diff, a changed dobject): the one
    read or produced on the before side and on the after side, when there is one. Not in
    the schema itself: its fields are its subclasses'."""

    before_version_id: strawberry.Private[uuid.UUID | None] = None
    after_version_id: strawberry.Private[uuid.UUID | None] = None

    @strawberry.field(description="The version on the before side (read or produced).")
    @context_only
    def before_version(self, info: ApiInfo) -> DObjectVersion | None:
        if self.before_version_id is None:
            return None
        return info.context.loaders.version.load(self.before_version_id)  # type: ignore[return-value]

    @strawberry.field(description="The version on the after side (read or produced).")
    @context_only
    def after_version(self, info: ApiInfo) -> DObjectVersion | None:
        if self.after_version_id is None:
            return None
        return info.context.loaders.version.load(self.after_version_id)  # type: ignore[return-value]


@strawberry.type
class DObjectChange(VersionPair):
    name: str
    suffix: str
    before_id: strawberry.Private[uuid.UUID]
    after_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    @context_only
    def before(self, info: ApiInfo) -> DObject:
        return info.context.loaders.dobject.load(self.before_id)  # type: ignore[return-value]

    @strawberry.field
    @context_only
    def after(self, info: ApiInfo) -> DObject:
        return info.context.loaders.dobject.load(self.after_id)  # type: ignore[return-value]


@strawberry.type(description="Two sets of dobjects matched by (name, suffix).")
class DObjectSetDiff:
    added_ids: strawberry.Private[list[uuid.UUID]]
    removed_ids: strawberry.Private[list[uuid.UUID]]
    unchanged_ids: strawberry.Private[list[uuid.UUID]]
    changed: list[DObjectChange] = strawberry.field(
        description="The same (name, suffix) with another id."
    )

    @strawberry.field(description="Only in the later run.")
    @context_only
    def added(self, info: ApiInfo) -> list[DObject]:
        return info.context.loaders.dobject.load_many(self.added_ids)  # type: ignore[return-value]

    @strawberry.field(description="Only in the earlier run.")
    @context_only
    def removed(self, info: ApiInfo) -> list[DObject]:
        return info.context.loaders.dobject.load_many(self.removed_ids)  # type: ignore[return-value]

    @strawberry.field(description="The same dobject in both.")
    @context_only
    def unchanged(self, info: ApiInfo) -> list[DObject]:
        return info.context.loaders.dobject.load_many(self.unchanged_ids)  # type: ignore[return-value]


@strawberry.type(description="How one run differs from another.")
class RunDiff(VersionPair):
    before_id: strawberry.Private[uuid.UUID]
    after_id: strawberry.Private[uuid.UUID]

    transform_changed: bool
    inputs: DObjectSetDiff
    outputs: DObjectSetDiff

    @strawberry.field
    @context_only
    def before(self, info: ApiInfo) -> Run:
        return info.context.loaders.run.load(self.before_id)  # type: ignore[return-value]

    @strawberry.field
    @context_only
    def after(self, info: ApiInfo) -> Run:
        return info.context.loaders.run.load(self.after_id)  # type: ignore[return-value]


@strawberry.type(description="One field of one dobject.")
class ColumnRef:
    dobject_id: strawberry.Private[uuid.UUID]
    field: str

    @strawberry.field
    @context_only
    def dobject(self, info: ApiInfo) -> DObject:
        return info.context.loaders.dobject.load(self.dobject_id)  # type: ignore[return-value]


@strawberry.type(description="Data flows from the source field into the target field.")
class ColumnEdge:
    source: ColumnRef
    target: ColumnRef
    transformation: str | None = strawberry.field(
        description='TYPE/SUBTYPE (or TYPE), several joined by ", ", e.g. "DIRECT/IDENTITY".'
    )


@strawberry.type
class ColumnLineage:
    edges: list[ColumnEdge]
    truncated: bool = strawberry.field(
        description="True exactly when some field was left out, by the depth or a cap."
    )
