"""The projection rows a batch folds into (apply.py), one per key, with their merges.

Each `merge` follows exactly the rule the SQL upsert of store.py follows when a row
meets the stored one, so the projection does not depend on batch boundaries.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar

# Row types are plain slotted dataclasses, treated as immutable (never assigned to after
# construction): a frozen dataclass costs twice as much to build, and a batch builds
# several per event.


@dataclass(slots=True)
class TransformRow:
    id: uuid.UUID
    type: str
    name: str
    version: str
    title: str | None
    reference: str | None
    registered_at: datetime
    updated_at: datetime
    updated_event_id: uuid.UUID

    @property
    def attrs_key(self) -> tuple[bool, datetime, uuid.UUID]:
        has_attrs = self.title is not None or self.reference is not None
        return (has_attrs, self.updated_at, self.updated_event_id)

    def merge(self, other: TransformRow) -> TransformRow:
        winner = self if self.attrs_key >= other.attrs_key else other
        registered_at = min(self.registered_at, other.registered_at)
        if winner.registered_at == registered_at:  # the usual case: no copy to make
            return winner
        return replace(winner, registered_at=registered_at)


@dataclass(slots=True)
class RunStart:
    at: datetime
    event_id: uuid.UUID
    transform_id: uuid.UUID
    name: str | None
    parent_run_id: uuid.UUID | None = None


@dataclass(slots=True)
class RunFinish:
    at: datetime
    event_id: uuid.UUID
    status: str  # COMPLETED | FAILED
    error: str | None


@dataclass(slots=True)
class RunRow:
    id: uuid.UUID
    first_seen_at: datetime
    start: RunStart | None = None
    finish: RunFinish | None = None

    @property
    def status(self) -> str:
        return self.finish.status if self.finish else "STARTED"

    def merge(self, other: RunRow) -> RunRow:
        if (
            other.start is None
            and other.finish is None
            and self.first_seen_at <= other.first_seen_at
        ):
            return self  # the usual case, a stub of a run already known: nothing to add
        return RunRow(
            id=self.id,
            first_seen_at=min(self.first_seen_at, other.first_seen_at),
            start=_earliest(self.start, other.start),
            finish=_earliest(self.finish, other.finish),
        )


@dataclass(slots=True)
class DObjectFields:
    at: datetime
    event_id: uuid.UUID
    fields: str  # JSON: [{name, type, description}] in the producer's order


@dataclass(slots=True)
class DObjectRow:
    id: uuid.UUID
    name: str
    suffix: str
    size: int | None
    hash: str | None
    uri: str | None
    created_at: datetime
    created_event_id: uuid.UUID
    schema: DObjectFields | None = None

    def merge(self, other: DObjectRow) -> DObjectRow:
        mine = (self.created_at, self.created_event_id)
        first = self if mine <= (other.created_at, other.created_event_id) else other
        schema = _earliest(self.schema, other.schema)
        if first.schema is schema:
            return first
        return replace(first, schema=schema)


@dataclass(slots=True)
class VersionRow:
    """One version of a dobject, as its registrations in a batch mean it."""

    id: uuid.UUID
    dobject_id: uuid.UUID
    key: str
    run_id: uuid.UUID
    created_at: datetime
    created_event_id: uuid.UUID
    size: int | None
    hash: str | None
    label: str | None
    schema: DObjectFields | None = None

    def merge(self, other: VersionRow) -> VersionRow:
        mine = (self.created_at, self.created_event_id)
        first = self if mine <= (other.created_at, other.created_event_id) else other
        schema = _earliest(self.schema, other.schema)
        if first.schema is schema:
            return first
        return replace(first, schema=schema)


@dataclass(slots=True)
class WriteRow:
    """One registration: a write of a version, with its event's stream sequence."""

    event_id: uuid.UUID
    dobject_id: uuid.UUID
    version_id: uuid.UUID
    run_id: uuid.UUID
    occurred_at: datetime
    sequence: int

    def merge(self, other: WriteRow) -> WriteRow:
        # the same event delivered twice: the raw log keeps its first sequence
        return self if self.sequence <= other.sequence else other


# One column edge: (target_field, source_dobject_id, source_field, transformation).
ColumnEdge = tuple[str, uuid.UUID, str, str | None]


@dataclass(slots=True)
class ColumnLineageRow:
    """Every column edge into one dobject, from one OutputRegistered."""

    dobject_id: uuid.UUID
    at: datetime
    event_id: uuid.UUID
    edges: tuple[ColumnEdge, ...]

    def merge(self, other: ColumnLineageRow) -> ColumnLineageRow:
        return self if (self.at, self.event_id) <= (other.at, other.event_id) else other


_T = TypeVar("_T", RunStart, RunFinish, DObjectFields)


@dataclass(slots=True)
class InputRow:
    run_id: uuid.UUID
    dobject_id: uuid.UUID
    loaded_at: datetime
    event_id: uuid.UUID
    hash: str | None = None
    label: str | None = None

    def merge(self, other: InputRow) -> InputRow:
        return (
            self if (self.loaded_at, self.event_id) <= (other.loaded_at, other.event_id) else other
        )


def _earliest(a: _T | None, b: _T | None) -> _T | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if (a.at, a.event_id) <= (b.at, b.event_id) else b


@dataclass
class ProjectionRows:
    """One row per key: what a batch of events means for each projection table.

    `add_*` insert with `setdefault`: a new key (the usual case) hashes its uuid once.
    """

    transforms: dict[uuid.UUID, TransformRow] = field(default_factory=dict)
    runs: dict[uuid.UUID, RunRow] = field(default_factory=dict)
    dobjects: dict[uuid.UUID, DObjectRow] = field(default_factory=dict)
    versions: dict[uuid.UUID, VersionRow] = field(default_factory=dict)
    writes: dict[uuid.UUID, WriteRow] = field(default_factory=dict)
    run_inputs: dict[tuple[uuid.UUID, uuid.UUID], InputRow] = field(default_factory=dict)
    column_lineage: dict[uuid.UUID, ColumnLineageRow] = field(default_factory=dict)

    def add_transform(self, row: TransformRow) -> None:
        old = self.transforms.setdefault(row.id, row)
        if old is not row:
            self.transforms[row.id] = old.merge(row)

    def add_run(self, row: RunRow) -> None:
        old = self.runs.setdefault(row.id, row)
        if old is not row:
            self.runs[row.id] = old.merge(row)

    def add_dobject(self, row: DObjectRow) -> None:
        old = self.dobjects.setdefault(row.id, row)
        if old is not row:
            self.dobjects[row.id] = old.merge(row)

    def add_version(self, row: VersionRow) -> None:
        old = self.versions.setdefault(row.id, row)
        if old is not row:
            self.versions[row.id] = old.merge(row)

    def add_write(self, row: WriteRow) -> None:
        old = self.writes.setdefault(row.event_id, row)
        if old is not row:
            self.writes[row.event_id] = old.merge(row)

    def add_input(self, row: InputRow) -> None:
        key = (row.run_id, row.dobject_id)
        old = self.run_inputs.setdefault(key, row)
        if old is not row:
            self.run_inputs[key] = old.merge(row)

    def add_column_lineage(self, row: ColumnLineageRow) -> None:
        old = self.column_lineage.setdefault(row.dobject_id, row)
        if old is not row:
            self.column_lineage[row.dobject_id] = old.merge(row)

    def __len__(self) -> int:
        return (
            len(self.transforms)
            + len(self.runs)
            + len(self.dobjects)
            + len(self.versions)
            + len(self.writes)
            + len(self.run_inputs)
            + len(self.column_lineage)
        )
