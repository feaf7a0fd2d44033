"""The root fields of the lineage questions: impact, runDiff and columnLineage."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

import strawberry
from graphql import FieldNode

from graphql_api import _strawberry_compat
from graphql_api.context import ApiInfo
from graphql_api.errors import bad_input
from graphql_api.inputs import LineageDirection, parse_id
from graphql_api.question_types import (
    ColumnEdge,
    ColumnLineage,
    ColumnRef,
    DObjectChange,
    DObjectSetDiff,
    Impact,
    ImpactedDObject,
    ImpactedRun,
    RunDiff,
)
from graphql_api.types import DObject, Run
from lineage_read.column_lineage import MAX_DEPTH, column_walk
from lineage_read.errors import not_found
from lineage_read.impact import ImpactRows, impact_counts
from lineage_read.impact import impact as impact_walk
from lineage_read.run_diff import SetDiff, run_diff

# Fields of Impact that the count-only statement answers.
_COUNT_FIELDS: Final = frozenset({"root", "totalRuns", "totalDObjects", "truncated", "__typename"})


def _root(dobject_id: strawberry.ID | None, run_id: strawberry.ID | None) -> tuple[uuid.UUID, str]:
    if (dobject_id is None) == (run_id is None):
        raise bad_input("give exactly one of dobjectId and runId")
    if dobject_id is not None:
        return parse_id(dobject_id, "dobjectId"), "DOBJECT"
    return parse_id(run_id, "runId"), "RUN"  # type: ignore[arg-type]


def instant(as_of: datetime | None) -> datetime | None:
    """The instant of an `asOf` argument (the DateTime scalar already refused anything
    but RFC 3339; this guards the offset whatever parsed it)."""
    if as_of is not None and (as_of.tzinfo is None or as_of.utcoffset() is None):
        raise bad_input("asOf must be an RFC 3339 date-time with an offset")
    return as_of


def counts_only(info: ApiInfo) -> bool:
    """Whether the selection asks for nothing but counts (plain fields, no fragments)."""
    selected = _selected(info)
    return selected is not None and selected <= _COUNT_FIELDS


async def impact(
    info: ApiInfo,
    dobject_id: strawberry.ID | None,
    run_id: strawberry.ID | None,
    at: datetime | None,
) -> Impact:
    root, kind = _root(dobject_id, run_id)
    at = instant(at)
    db = info.context.db
    if counts_only(info):
        counts = await impact_counts(db, root, kind, at)
        if not counts.root_exists:
            raise not_found(kind, root, at)
        return Impact(
            root=strawberry.ID(str(root)),
            runs=[],
            dobjects=[],
            total_runs=counts.runs,
            total_d_objects=counts.dobjects,
            truncated=counts.truncated,
            rerun_order=[],
            transform_ids=[],
            as_of=at,
        )
    found = await impact_walk(db, root, kind, at)
    if not found.root_exists:
        raise not_found(kind, root, at)
    runs, dobjects = await _nodes(info, found, at)
    return Impact(
        root=strawberry.ID(str(root)),
        runs=[ImpactedRun(run=runs[i], distance=d) for i, d in found.runs if i in runs],
        dobjects=[
            ImpactedDObject(dobject=dobjects[i], distance=d)
            for i, d in found.dobjects
            if i in dobjects
        ],
        total_runs=len(found.runs),
        total_d_objects=len(found.dobjects),
        truncated=found.truncated,
        rerun_order=[runs[i] for i in found.rerun_order if i in runs],
        transform_ids=found.transforms,
        as_of=at,
    )


async def _nodes(
    info: ApiInfo, found: ImpactRows, at: datetime | None
) -> tuple[dict[uuid.UUID, Run], dict[uuid.UUID, DObject]]:
    """The impacted runs and dobjects by id: today's came with the walk; as of an
    instant, one statement each (only for the lists the query selects)."""
    if found.run_rows is not None and found.dobject_rows is not None:
        return (
            {row.id: Run.from_row(row) for row in found.run_rows},
            {row.id: DObject.from_row(row) for row in found.dobject_rows},
        )
    selected = _selected(info)
    loaders = info.context.loaders.at(at)
    runs: dict[uuid.UUID, Run] = {}
    dobjects: dict[uuid.UUID, DObject] = {}
    if selected is None or selected & {"runs", "rerunOrder"}:
        ids = [i for i, _ in found.runs]
        runs = {i: r for i, r in zip(ids, await loaders.runs_by_id(ids), strict=True) if r}
    if selected is None or "dobjects" in selected:
        ids = [i for i, _ in found.dobjects]
        loaded = await loaders.dobjects_by_id(ids)
        dobjects = {i: d for i, d in zip(ids, loaded, strict=True) if d}
    return runs, dobjects


def _selected(info: ApiInfo) -> set[str] | None:
    """The names of the plain fields selected under this field; None when a fragment
    (or a directive) hides what is selected."""
    names: set[str] = set()
    for node in _strawberry_compat.field_nodes(info):
        if node.selection_set is None:
            continue
        for selection in node.selection_set.selections:
            if not isinstance(selection, FieldNode) or selection.directives:
                return None
            names.add(selection.name.value)
    return names


def _set_diff(diff: SetDiff) -> DObjectSetDiff:
    return DObjectSetDiff(
        added_ids=diff.added,
        removed_ids=diff.removed,
        unchanged_ids=diff.unchanged,
        changed=[
            DObjectChange(
                name=name,
                suffix=suffix,
                before_id=b,
                after_id=a,
                before_version_id=bv,
                after_version_id=av,
            )
            for b, a, name, suffix, bv, av in diff.changed
        ],
    )


async def diff_runs(info: ApiInfo, before: strawberry.ID, after: strawberry.ID) -> RunDiff:
    before_id, after_id = parse_id(before, "before"), parse_id(after, "after")
    found = await run_diff(info.context.db, before_id, after_id)
    for exists, rid in ((found.before_exists, before_id), (found.after_exists, after_id)):
        if not exists:
            raise not_found("RUN", rid)
    return RunDiff(
        before_id=before_id,
        after_id=after_id,
        transform_changed=found.transform_changed,
        inputs=_set_diff(found.inputs),
        outputs=_set_diff(found.outputs),
    )


async def column_lineage(
    info: ApiInfo,
    dobject_id: strawberry.ID,
    field: str | None,
    direction: LineageDirection | None,
    depth: int | None,
) -> ColumnLineage:
    direction = direction or LineageDirection.UPSTREAM
    depth = 10 if depth is None else depth
    root = parse_id(dobject_id, "dobjectId")
    if not 1 <= depth <= MAX_DEPTH:
        raise bad_input(f"depth must be between 1 and {MAX_DEPTH}, got {depth}")
    found = await column_walk(info.context.db, root, field, direction.value, depth)
    if not found.root_exists:
        raise not_found("DOBJECT", root)
    return ColumnLineage(
        edges=[
            ColumnEdge(
                source=ColumnRef(dobject_id=e.source_dobject_id, field=e.source_field),
                target=ColumnRef(dobject_id=e.target_dobject_id, field=e.target_field),
                transformation=e.transformation,
            )
            for e in found.edges
        ],
        truncated=found.truncated,
    )
