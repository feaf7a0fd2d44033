"""What the read model answers with: frozen rows of runs, dobjects and transforms, and
the column lists they are read from.

Rows are read by column name: each column list names exactly the fields its `of` reads
(a unit test holds the dated lists of as_of.py to the same names), and a joined row (a
transform beside its run) arrives as one composite column of its table's row type,
read by name as well. A row read as of an instant carries it (`as_of`): what it leads
to (a run's inputs, a dobject's source) must be read as of the same instant."""

from __future__ import annotations

import enum
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from lineage_read.database import Record
from lineage_read.version_sql import current_attribute

# the table aliases are r, d and t in every statement of the package
RUN_COLUMNS: Final = (
    "r.id, r.name, r.status, r.started_at, r.finished_at, r.error, r.transform_id, "
    "r.first_seen_at, r.parent_run_id"
)
# hash, size and fields are the current version's (docs/reference/versions.md)
DOBJECT_COLUMNS: Final = (
    "d.id, d.name, d.suffix, "
    + current_attribute("size", "d.current_version_id")
    + ", "
    + current_attribute("hash", "d.current_version_id")
    + ", d.uri, d.created_at, d.source_run_id, "
    + current_attribute("fields", "d.current_version_id")
)
TRANSFORM_COLUMNS: Final = "t.id, t.type, t.name, t.version, t.title, t.reference"


class RunStatus(enum.Enum):
    STARTED = "STARTED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class TransformType(enum.Enum):
    NOTEBOOK = "notebook"
    PIPELINE = "pipeline"


_STATUS: Final = {s.value: s for s in RunStatus}
_TRANSFORM_TYPE: Final = {t.value: t for t in TransformType}


@dataclass(frozen=True, slots=True)
class RunRow:
    id: uuid.UUID
    name: str | None  # null until its RunStarted
    status: RunStatus
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    transform_id: uuid.UUID | None
    first_seen_at: datetime
    parent_run_id: uuid.UUID | None
    as_of: datetime | None = None

    @classmethod
    def of(cls, row: Record, as_of: datetime | None = None) -> RunRow:
        return cls(
            id=row["id"],
            name=row["name"],
            status=_STATUS[row["status"]],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            error=row["error"],
            transform_id=row["transform_id"],
            first_seen_at=row["first_seen_at"],
            parent_run_id=row["parent_run_id"],
            as_of=as_of,
        )


@dataclass(frozen=True, slots=True)
class FieldRow:
    """One field of a dobject's schema, as its producer sent it."""

    name: str
    type: str | None
    description: str | None


@dataclass(frozen=True, slots=True)
class DObjectRow:
    id: uuid.UUID
    name: str
    suffix: str
    size: int | None
    hash: str | None
    uri: str | None
    created_at: datetime
    source_run_id: uuid.UUID | None
    # the `fields` column: JSON text of [{name, type, description}], or None; parsed
    # only when asked for (`fields()`), most answers do not show it
    fields_json: str | None
    as_of: datetime | None = None

    @classmethod
    def of(cls, row: Record, as_of: datetime | None = None) -> DObjectRow:
        return cls(
            id=row["id"],
            name=row["name"],
            suffix=row["suffix"],
            size=row["size"],
            hash=row["hash"],
            uri=row["uri"],
            created_at=row["created_at"],
            source_run_id=row["source_run_id"],
            fields_json=row["fields"],
            as_of=as_of,
        )

    def fields(self) -> list[FieldRow]:
        """Its schema in the producer's order (empty when none was sent)."""
        if self.fields_json is None:
            return []
        return [
            FieldRow(name=f["name"], type=f.get("type"), description=f.get("description"))
            for f in json.loads(self.fields_json)
        ]


@dataclass(frozen=True, slots=True)
class TransformRow:
    id: uuid.UUID
    type: TransformType
    name: str
    version: str
    title: str | None  # a notebook's
    reference: str | None  # a pipeline's
    as_of: datetime | None = None

    @classmethod
    def of(cls, row: Record, as_of: datetime | None = None) -> TransformRow:
        return cls(
            id=row["id"],
            type=_TRANSFORM_TYPE[row["type"]],
            name=row["name"],
            version=row["version"],
            title=row["title"],
            reference=row["reference"],
            as_of=as_of,
        )
