"""The columns the API reads of runs, dobjects and transforms, and rows -> GraphQL
objects. Rows are read by column name: each column list names exactly the fields its
mapper reads, and a joined row (a transform beside its run) arrives as one composite
column of its table's row type, read by name as well."""

from __future__ import annotations

from typing import Final

import strawberry

from graphql_api.inputs import RunStatus, TransformType
from graphql_api.types import DObject, Notebook, Pipeline, Run, Transform
from lineage_read.database import Record

# the table aliases are r, d and t in every statement of the package
RUN_COLUMNS: Final = (
    "r.id, r.name, r.status, r.started_at, r.finished_at, r.error, r.transform_id, "
    "r.first_seen_at, r.parent_run_id"
)
DOBJECT_COLUMNS: Final = (
    "d.id, d.name, d.suffix, d.size, d.hash, d.uri, d.created_at, d.source_run_id, d.fields"
)
TRANSFORM_COLUMNS: Final = "t.id, t.type, t.name, t.version, t.title, t.reference"
_STATUS: Final = {s.value: s for s in RunStatus}


def run_of(row: Record) -> Run:
    return Run(
        id=strawberry.ID(str(row["id"])),
        name=row["name"],
        status=_STATUS[row["status"]],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        error=row["error"],
        transform_id=row["transform_id"],
        first_seen_at=row["first_seen_at"],
        parent_run_id=row["parent_run_id"],
    )


def dobject_of(row: Record) -> DObject:
    return DObject(
        id=strawberry.ID(str(row["id"])),
        name=row["name"],
        suffix=row["suffix"],
        size=row["size"],
        hash=row["hash"],
        uri=row["uri"],
        created_at=row["created_at"],
        source_run_id=row["source_run_id"],
        fields_json=row["fields"],
    )


def transform_of(row: Record) -> Transform:
    tid = strawberry.ID(str(row["id"]))
    if row["type"] == TransformType.NOTEBOOK.value:
        return Notebook(
            id=tid,
            type=TransformType.NOTEBOOK,
            name=row["name"],
            version=row["version"],
            title=row["title"],
        )
    return Pipeline(
        id=tid,
        type=TransformType.PIPELINE,
        name=row["name"],
        version=row["version"],
        reference=row["reference"],
    )
