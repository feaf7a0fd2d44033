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
- dobject: attributes and created_at from the earliest event naming it; its fields from
  the earliest `InputLoaded` or `OutputRegistered` that carries fields. Its current
  version and source run are derived in SQL from the writes (store.py), since they
  depend on writes of other batches.
- version (docs/reference/versions.md): every `OutputRegistered` writes the version
  keyed by its hash, else its label, else its run; the version's run, created_at, size,
  hash and label come from its earliest registration, its fields from the earliest one
  carrying fields. Each registration is also a write row of its own (by event_id).
- column edges of a dobject: all from its earliest `OutputRegistered` whose
  column_lineage is not empty (a later one stays in the raw log only).
- input edge (run, dobject): the earliest `InputLoaded`, with its hash and label.
- transform: registered_at is the earliest occurred_at; title/reference come from the
  latest event that carries either (events carrying neither only count for registered_at).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime

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
from lineage_core.ids import dobject_version_id, version_key
from projector.rows import (
    ColumnEdge,
    ColumnLineageRow,
    DObjectFields,
    DObjectRow,
    InputRow,
    ProjectionRows,
    RunFinish,
    RunRow,
    RunStart,
    TransformRow,
    VersionRow,
    WriteRow,
)

__all__ = ["ColumnLineageRow", "ProjectionRows", "apply_event", "fold", "stamp"]

# An event's place in the deterministic order every rule uses.
Stamp = tuple[datetime, uuid.UUID]


def stamp(event: Event) -> Stamp:
    """(occurred_at, event_id): the total order in which 'earliest' and 'latest' are meant."""
    return (event.occurred_at, event.event_id)


def fold(events: Iterable[Event], sequences: Iterable[int] | None = None) -> ProjectionRows:
    """The rows a set of events means, one per key (duplicates and order do not matter).

    `sequences`, in step with `events`, are their stream sequences (kept with each write);
    without them every write gets 0."""
    rows = ProjectionRows()
    if sequences is None:
        for event in events:
            apply_event(rows, event)
    else:
        for event, sequence in zip(events, sequences, strict=True):
            apply_event(rows, event, sequence)
    return rows


def apply_event(rows: ProjectionRows, event: Event, sequence: int = 0) -> None:
    """Fold one event (delivered at stream `sequence`) into `rows`."""
    if isinstance(event, TransformRegistered):
        rows.add_transform(transform_row(event.transform, event))
    elif isinstance(event, RunStarted):
        apply_run_started(rows, event)
    elif isinstance(event, InputLoaded):
        apply_input_loaded(rows, event)
    elif isinstance(event, OutputRegistered):
        apply_output_registered(rows, event, sequence)
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
    rows.add_dobject(dobject_row(event, _schema(event)))
    d = event.dobject
    rows.add_input(
        InputRow(event.run_id, d.id, event.occurred_at, event.event_id, d.hash, d.version)
    )


def _schema(event: InputLoaded | OutputRegistered) -> DObjectFields | None:
    if event.fields is None:
        return None
    return DObjectFields(event.occurred_at, event.event_id, fields_json(event.fields))


def apply_output_registered(
    rows: ProjectionRows, event: OutputRegistered, sequence: int = 0
) -> None:
    rows.add_run(RunRow(event.run_id, event.occurred_at))
    schema = _schema(event)
    rows.add_dobject(dobject_row(event, schema))
    d = event.dobject
    key = version_key(d.hash, d.version, event.run_id)
    version_id = dobject_version_id(d.id, key)
    rows.add_version(
        VersionRow(
            version_id,
            d.id,
            key,
            event.run_id,
            event.occurred_at,
            event.event_id,
            d.size,
            d.hash,
            d.version,
            schema,
        )
    )
    rows.add_write(
        WriteRow(event.event_id, d.id, version_id, event.run_id, event.occurred_at, sequence)
    )
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
    event: InputLoaded | OutputRegistered, schema: DObjectFields | None = None
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
        schema=schema,
    )
