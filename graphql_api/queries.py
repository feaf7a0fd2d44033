"""Rows -> GraphQL objects, and the statements that fetch them."""

from __future__ import annotations

from typing import Any, Final

import strawberry
from sqlalchemy import Select, select
from sqlalchemy.engine import Row

from graphql_api.inputs import RunStatus, TransformType
from graphql_api.types import DObject, Notebook, Pipeline, Run, Transform
from lineage_core.db.tables import dobjects, runs, transforms

RUN_COLUMNS: Final = (
    runs.c.id, runs.c.name, runs.c.status, runs.c.started_at, runs.c.finished_at,
    runs.c.error, runs.c.transform_id, runs.c.first_seen_at,
)
DOBJECT_COLUMNS: Final = (
    dobjects.c.id, dobjects.c.name, dobjects.c.suffix, dobjects.c.size, dobjects.c.hash,
    dobjects.c.uri, dobjects.c.created_at, dobjects.c.source_run_id,
)
TRANSFORM_COLUMNS: Final = (
    transforms.c.id, transforms.c.type, transforms.c.name, transforms.c.version,
    transforms.c.title, transforms.c.reference, transforms.c.registered_at,
)
_STATUS: Final = {s.value: s for s in RunStatus}


def run_of(row: Row[Any] | tuple[Any, ...]) -> Run:
    return Run(
        id=strawberry.ID(str(row[0])), name=row[1], status=_STATUS[row[2]],
        started_at=row[3], finished_at=row[4], error=row[5], transform_id=row[6],
        first_seen_at=row[7],
    )


def dobject_of(row: Row[Any] | tuple[Any, ...]) -> DObject:
    return DObject(
        id=strawberry.ID(str(row[0])), name=row[1], suffix=row[2], size=row[3], hash=row[4],
        uri=row[5], created_at=row[6], source_run_id=row[7],
    )


def transform_of(row: Row[Any] | tuple[Any, ...]) -> Transform:
    common = dict(id=strawberry.ID(str(row[0])), name=row[2], version=row[3])
    if row[1] == TransformType.NOTEBOOK.value:
        return Notebook(type=TransformType.NOTEBOOK, title=row[4], **common)  # type: ignore[arg-type]
    return Pipeline(type=TransformType.PIPELINE, reference=row[5], **common)  # type: ignore[arg-type]


def select_runs() -> Select[Any]:
    return select(*RUN_COLUMNS)


def select_dobjects() -> Select[Any]:
    return select(*DOBJECT_COLUMNS)


def select_transforms() -> Select[Any]:
    return select(*TRANSFORM_COLUMNS)
