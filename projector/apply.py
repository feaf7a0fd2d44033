"""Events -> the projection rows they mean. Pure: no I/O, unit-tested without a database.

A batch is folded into at most one row per key, because one `INSERT ... ON CONFLICT DO
UPDATE` cannot touch a row twice. Folding two rows of one key (`merge`) follows exactly
the rules the SQL upserts in `store.py` follow when a row meets the stored one, so the
projection does not depend on batch boundaries, arrival order or duplicates:

- run: `RunStarted` sets transform, name, parent and started_at (the earliest RunStarted
  by (occurred_at, event_id) if several); the earliest `RunFinished` is final (status,
  finished_at, error); a run known only from inputs/outputs, or named as a parent, is a
  STARTED stub; first_seen_at is the earliest occurred_at of any event of the run (or
  of a RunStarted naming it as parent).
- dobject: attributes and created_at from the earliest event naming it; its source is
  the earliest `OutputRegistered` by (occurred_at, event_id); its fields come from the
  earliest `OutputRegistered` that carries fields.
- column edges of a dobject: all from its earliest `OutputRegistered` whose
  column_lineage is not empty (a later one stays in the raw log only).
- input edge (run, dobject): the earliest `InputLoaded`.
- transform: registered_at is the earliest occurred_at; title/reference come from the
  latest event that carries either (events carrying neither only count for registered_at).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar

from lineage_core.events import (
    ColumnLineage,
    DatasetField,
    Event,
    InputLoaded,
    OutputRegistered,
    RunFinished,
    RunStarted,
    Transform,
    TransformRegistered,
)

# Row types are plain slotted dataclasses, treated as immutable (never assigned to after
# construction): a frozen dataclass costs twice as much to build, and a batch builds
# several per event.

# An event's place in the deterministic order every rule uses.
Stamp = tuple[datetime, uuid.UUID]


def stamp(event: Event) -> Stamp:
    """(occurred_at, event_id): the total order in which 'earliest' and 'latest' are meant."""
    return (event.occurred_at, event.event_id)


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
        return replace(winner, registered_at=min(self.registered_at, other.registered_at))


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
        return RunRow(
            id=self.id,
            first_seen_at=min(self.first_seen_at, other.first_seen_at),
            start=_earliest(self.start, other.start),
            finish=_earliest(self.finish, other.finish),
        )


@dataclass(slots=True)
class DObjectSource:
    at: datetime
    event_id: uuid.UUID
    run_id: uuid.UUID


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
    source: DObjectSource | None = None
    schema: DObjectFields | None = None

    def merge(self, other: DObjectRow) -> DObjectRow:
        mine = (self.created_at, self.created_event_id)
        first = self if mine <= (other.created_at, other.created_event_id) else other
        source = _earliest(self.source, other.source)
        schema = _earliest(self.schema, other.schema)
        if first.source is source and first.schema is schema:
            return first
        return replace(first, source=source, schema=schema)


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


_T = TypeVar("_T", RunStart, RunFinish, DObjectSource, DObjectFields)


@dataclass(slots=True)
class InputRow:
    run_id: uuid.UUID
    dobject_id: uuid.UUID
    loaded_at: datetime
    event_id: uuid.UUID

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
    """One row per key: what a batch of events means for each projection table."""

    transforms: dict[uuid.UUID, TransformRow] = field(default_factory=dict)
    runs: dict[uuid.UUID, RunRow] = field(default_factory=dict)
    dobjects: dict[uuid.UUID, DObjectRow] = field(default_factory=dict)
    run_inputs: dict[tuple[uuid.UUID, uuid.UUID], InputRow] = field(default_factory=dict)
    column_lineage: dict[uuid.UUID, ColumnLineageRow] = field(default_factory=dict)

    def add_transform(self, row: TransformRow) -> None:
        old = self.transforms.get(row.id)
        self.transforms[row.id] = row if old is None else old.merge(row)

    def add_run(self, row: RunRow) -> None:
        old = self.runs.get(row.id)
        self.runs[row.id] = row if old is None else old.merge(row)

    def add_dobject(self, row: DObjectRow) -> None:
        old = self.dobjects.get(row.id)
        self.dobjects[row.id] = row if old is None else old.merge(row)

    def add_input(self, row: InputRow) -> None:
        key = (row.run_id, row.dobject_id)
        old = self.run_inputs.get(key)
        self.run_inputs[key] = row if old is None else old.merge(row)

    def add_column_lineage(self, row: ColumnLineageRow) -> None:
        old = self.column_lineage.get(row.dobject_id)
        self.column_lineage[row.dobject_id] = row if old is None else old.merge(row)

    def __len__(self) -> int:
        return (
            len(self.transforms)
            + len(self.runs)
            + len(self.dobjects)
            + len(self.run_inputs)
            + len(self.column_lineage)
        )


def fold(events: Iterable[Event]) -> ProjectionRows:
    """The rows a set of events means, one per key (duplicates and order do not matter)."""
    rows = ProjectionRows()
    for event in events:
        apply_event(rows, event)
    return rows


def apply_event(rows: ProjectionRows, event: Event) -> None:
    """Fold one event into `rows`."""
    if isinstance(event, TransformRegistered):
        rows.add_transform(transform_row(event.transform, event))
    elif isinstance(event, RunStarted):
        apply_run_started(rows, event)
    elif isinstance(event, InputLoaded):
        apply_input_loaded(rows, event)
    elif isinstance(event, OutputRegistered):
        apply_output_registered(rows, event)
    elif isinstance(event, RunFinished):
        apply_run_finished(rows, event)
    else:  # pragma: no cover - the Event union is closed
        raise TypeError(f"not an event: {event!r}")


def transform_row(transform: Transform, event: Event) -> TransformRow:
    return TransformRow(
        id=transform.id,
        type=transform.type,
        name=transform.name,
        version=transform.version,
        title=transform.title,
        reference=transform.reference,
        registered_at=event.occurred_at,
        updated_at=event.occurred_at,
        updated_event_id=event.event_id,
    )


def apply_run_started(rows: ProjectionRows, event: RunStarted) -> None:
    rows.add_transform(transform_row(event.transform, event))
    start = RunStart(
        event.occurred_at, event.event_id, event.transform.id, event.run_name, event.parent_run_id
    )
    rows.add_run(RunRow(event.run_id, event.occurred_at, start=start))
    if event.parent_run_id is not None:
        # A parent not seen yet exists from now on, as a run known only from its outputs
        # does. (A run naming itself, or a cycle, is stored as sent; walks are capped.)
        rows.add_run(RunRow(event.parent_run_id, event.occurred_at))


def apply_input_loaded(rows: ProjectionRows, event: InputLoaded) -> None:
    rows.add_run(RunRow(event.run_id, event.occurred_at))
    rows.add_dobject(dobject_row(event))
    rows.add_input(InputRow(event.run_id, event.dobject.id, event.occurred_at, event.event_id))


def apply_output_registered(rows: ProjectionRows, event: OutputRegistered) -> None:
    rows.add_run(RunRow(event.run_id, event.occurred_at))
    source = DObjectSource(event.occurred_at, event.event_id, event.run_id)
    schema = None
    if event.fields is not None:
        schema = DObjectFields(event.occurred_at, event.event_id, fields_json(event.fields))
    rows.add_dobject(dobject_row(event, source, schema))
    edges = column_edges(event.column_lineage or ())
    if edges:
        rows.add_column_lineage(
            ColumnLineageRow(event.dobject.id, event.occurred_at, event.event_id, edges)
        )


def fields_json(fields: Iterable[DatasetField]) -> str:
    """The `fields` column: every key present (null when not sent), in the producer's order."""
    return json.dumps(
        [{"name": f.name, "type": f.type, "description": f.description} for f in fields],
        separators=(",", ":"),
        ensure_ascii=False,
    )


def column_edges(lineage: Iterable[ColumnLineage]) -> tuple[ColumnEdge, ...]:
    """One edge per (output field, input dobject, input field); the model keeps them unique."""
    return tuple(
        (entry.field, i.dobject_id, i.field, i.transformation)
        for entry in lineage
        for i in entry.inputs
    )


def apply_run_finished(rows: ProjectionRows, event: RunFinished) -> None:
    finish = RunFinish(event.occurred_at, event.event_id, event.status.upper(), event.error)
    rows.add_run(RunRow(event.run_id, event.occurred_at, finish=finish))


def dobject_row(
    event: InputLoaded | OutputRegistered,
    source: DObjectSource | None = None,
    schema: DObjectFields | None = None,
) -> DObjectRow:
    d = event.dobject
    return DObjectRow(
        id=d.id,
        name=d.name,
        suffix=d.suffix,
        size=d.size,
        hash=d.hash,
        uri=d.uri,
        created_at=event.occurred_at,
        created_event_id=event.event_id,
        source=source,
        schema=schema,
    )
