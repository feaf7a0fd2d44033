"""Rows -> GraphQL objects, and the column lists of the statements that fetch them.

Columns are positional: `run_of`, `dobject_of` and `transform_of` read them in the
order the *_COLUMNS strings list them (alias r, d, t)."""

from __future__ import annotations

from typing import Any, Final

import strawberry

from graphql_api.inputs import RunStatus, TransformType
from graphql_api.types import DObject, Notebook, Pipeline, Run, Transform

RUN_COLUMNS: Final = (
    "r.id, r.name, r.status, r.started_at, r.finished_at, r.error, r.transform_id, r.first_seen_at"
)
DOBJECT_COLUMNS: Final = (
    "d.id, d.name, d.suffix, d.size, d.hash, d.uri, d.created_at, d.source_run_id"
)
TRANSFORM_COLUMNS: Final = "t.id, t.type, t.name, t.version, t.title, t.reference, t.registered_at"
RUN_WIDTH: Final = 8
DOBJECT_WIDTH: Final = 8
_STATUS: Final = {s.value: s for s in RunStatus}


def run_of(row: Any, at: int = 0) -> Run:
    return Run(
        id=strawberry.ID(str(row[at])),
        name=row[at + 1],
        status=_STATUS[row[at + 2]],
        started_at=row[at + 3],
        finished_at=row[at + 4],
        error=row[at + 5],
        transform_id=row[at + 6],
        first_seen_at=row[at + 7],
    )


def dobject_of(row: Any, at: int = 0) -> DObject:
    return DObject(
        id=strawberry.ID(str(row[at])),
        name=row[at + 1],
        suffix=row[at + 2],
        size=row[at + 3],
        hash=row[at + 4],
        uri=row[at + 5],
        created_at=row[at + 6],
        source_run_id=row[at + 7],
    )


def transform_of(row: Any, at: int = 0) -> Transform:
    tid = strawberry.ID(str(row[at]))
    if row[at + 1] == TransformType.NOTEBOOK.value:
        return Notebook(
            id=tid,
            type=TransformType.NOTEBOOK,
            name=row[at + 2],
            version=row[at + 3],
            title=row[at + 4],
        )
    return Pipeline(
        id=tid,
        type=TransformType.PIPELINE,
        name=row[at + 2],
        version=row[at + 3],
        reference=row[at + 5],
    )
