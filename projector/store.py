"""Write a batch in ONE transaction: raw events, projection upserts and the tracking row.

Exactly once: the batch transaction locks the tracking row, skips what it already
covers (by stream sequence), inserts the raw events `ON CONFLICT (event_id) DO NOTHING
RETURNING event_id` and applies only the events that were new (by event_id). Every
upsert is set-based (`unnest` of arrays, one statement per table) and its
`ON CONFLICT ... DO UPDATE` keeps the same order-independent rules as `apply.py`.
The caller acks the messages only after this commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, NamedTuple

import asyncpg

from lineage_core.db.metadata import PROJECTION_SCHEMA
from lineage_core.events import Event
from projector.apply import ColumnLineageRow, ProjectionRows, fold
from projector.store_sql import REBUILD_LOCK_KEY, statements

__all__ = [
    "REBUILD_LOCK_KEY",
    "Accepted",
    "BatchOutcome",
    "applied_sequence",
    "apply_batch",
    "asyncpg_dsn",
    "insert_raw",
    "write_rows",
]


class Accepted(NamedTuple):
    """A decoded event as delivered: its stream sequence, subject and verbatim JSON.

    (A named tuple: built once per event on the hot path, where a frozen dataclass costs
    several times more.)
    """

    sequence: int
    subject: str
    payload: str
    event: Event


@dataclass(frozen=True)
class BatchOutcome:
    applied: int  # events new to the projection
    duplicates: int  # already applied (by sequence or by event_id)
    applied_sequence: int  # the tracking row after the commit


def asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy asyncpg URL as a DSN asyncpg itself accepts."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


INSERT_RAW: Final = """
INSERT INTO public.raw_events
    (event_id, sequence, event_type, run_id, occurred_at, subject, payload)
SELECT e, s, t, r, o, j, p::jsonb
FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::uuid[], $5::timestamptz[], $6::text[],
            $7::text[]) AS u(e, s, t, r, o, j, p)
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id
"""


async def apply_batch(
    conn: asyncpg.Connection,
    accepted: Sequence[Accepted],
    *,
    max_sequence: int,
    last_event_at: datetime | None = None,
    folded: ProjectionRows | None = None,
) -> BatchOutcome:
    """Apply a delivered batch and advance the tracking row to `max_sequence`, atomically.

    `max_sequence` covers the whole batch, dead-lettered messages included. `folded`, the
    rows of all of `accepted` folded beforehand (outside the transaction), is used when
    every event turns out to be new, the usual case; otherwise only the new ones are folded.
    """
    sql = statements()
    async with conn.transaction():
        await conn.execute(sql["rebuild_lock"])
        row = await conn.fetchrow(sql["lock_state"])
        known = int(row["applied_sequence"]) if row else 0
        fresh = _first_per_event_id(a for a in accepted if a.sequence > known)
        inserted = await insert_raw(conn, fresh)
        new = [a for a in fresh if a.event.event_id in inserted]
        new_events = [a.event for a in new]
        if folded is None or len(new_events) != len(accepted):
            folded = fold(new_events, [a.sequence for a in new])
        await write_rows(conn, folded)
        if last_event_at is None and accepted:
            last_event_at = max(a.event.occurred_at for a in accepted)
        applied_sequence = await conn.fetchval(sql["advance"], max_sequence, last_event_at)
    return BatchOutcome(len(new_events), len(accepted) - len(new_events), int(applied_sequence))


def _first_per_event_id(accepted: Iterable[Accepted]) -> list[Accepted]:
    seen: dict[uuid.UUID, Accepted] = {}
    for a in accepted:
        prev = seen.get(a.event.event_id)
        if prev is None or a.sequence < prev.sequence:
            seen[a.event.event_id] = a
    return list(seen.values())


async def insert_raw(conn: asyncpg.Connection, accepted: Sequence[Accepted]) -> set[uuid.UUID]:
    """Append to the raw log; the event_ids that were not there before."""
    if not accepted:
        return set()
    rows = await conn.fetch(
        INSERT_RAW,
        [a.event.event_id for a in accepted],
        [a.sequence for a in accepted],
        [a.event.event_type for a in accepted],
        [getattr(a.event, "run_id", None) for a in accepted],
        [a.event.occurred_at for a in accepted],
        [a.subject for a in accepted],
        [a.payload for a in accepted],
    )
    return {r["event_id"] for r in rows}


async def write_rows(
    conn: asyncpg.Connection, rows: ProjectionRows, schema: str = PROJECTION_SCHEMA
) -> None:
    """Upsert folded rows: one set-based statement per table.

    Rows need no particular order: batch transactions are serialised by the tracking row
    lock they take first, so two writers never wait on each other's rows (no deadlock).
    """
    sql = statements(schema)
    if rows.transforms:
        ts = list(rows.transforms.values())
        await conn.execute(
            sql["transforms"],
            [t.id for t in ts],
            [t.type for t in ts],
            [t.name for t in ts],
            [t.version for t in ts],
            [t.title for t in ts],
            [t.reference for t in ts],
            [t.registered_at for t in ts],
            [t.updated_at for t in ts],
            [t.updated_event_id for t in ts],
        )
    if rows.runs:
        rs = list(rows.runs.values())
        await conn.execute(
            sql["runs"],
            [r.id for r in rs],
            [r.first_seen_at for r in rs],
            [r.start.name if r.start else None for r in rs],
            [r.start.transform_id if r.start else None for r in rs],
            [r.start.at if r.start else None for r in rs],
            [r.start.event_id if r.start else None for r in rs],
            [r.status for r in rs],
            [r.finish.at if r.finish else None for r in rs],
            [r.finish.error if r.finish else None for r in rs],
            [r.finish.event_id if r.finish else None for r in rs],
            [r.start.parent_run_id if r.start else None for r in rs],
        )
    if rows.writes:  # before the dobjects, whose current version they decide
        await write_versions(conn, rows, sql)
    if rows.dobjects:
        ds = list(rows.dobjects.values())
        await conn.execute(
            sql["dobjects"],
            [d.id for d in ds],
            [d.name for d in ds],
            [d.suffix for d in ds],
            [d.size for d in ds],
            [d.hash for d in ds],
            [d.uri for d in ds],
            [d.created_at for d in ds],
            [d.created_event_id for d in ds],
            [d.schema.fields if d.schema else None for d in ds],
            [d.schema.at if d.schema else None for d in ds],
            [d.schema.event_id if d.schema else None for d in ds],
        )
    if rows.run_inputs:
        ins = list(rows.run_inputs.values())
        await conn.execute(
            sql["run_inputs"],
            [i.run_id for i in ins],
            [i.dobject_id for i in ins],
            [i.loaded_at for i in ins],
            [i.event_id for i in ins],
            [i.hash for i in ins],
            [i.label for i in ins],
        )
    if rows.column_lineage:
        await write_column_edges(conn, list(rows.column_lineage.values()), sql)


async def write_versions(
    conn: asyncpg.Connection, rows: ProjectionRows, sql: dict[str, str]
) -> None:
    """Upsert the versions and add the writes (the dobjects' upsert then derives each
    written dobject's current version from them)."""
    vs = list(rows.versions.values())
    await conn.execute(
        sql["dobject_versions"],
        [v.id for v in vs],
        [v.dobject_id for v in vs],
        [v.key for v in vs],
        [v.run_id for v in vs],
        [v.created_at for v in vs],
        [v.created_event_id for v in vs],
        [v.size for v in vs],
        [v.hash for v in vs],
        [v.label for v in vs],
        [v.schema.fields if v.schema else None for v in vs],
        [v.schema.at if v.schema else None for v in vs],
        [v.schema.event_id if v.schema else None for v in vs],
    )
    ws = list(rows.writes.values())
    await conn.execute(
        sql["dobject_writes"],
        [w.event_id for w in ws],
        [w.dobject_id for w in ws],
        [w.version_id for w in ws],
        [w.run_id for w in ws],
        [w.occurred_at for w in ws],
        [w.sequence for w in ws],
    )


async def write_column_edges(
    conn: asyncpg.Connection, lineage: Sequence[ColumnLineageRow], sql: dict[str, str]
) -> None:
    """Replace later events' edges by earlier ones, then add the winners' edges."""
    await conn.execute(
        sql["column_edges_superseded"],
        [c.dobject_id for c in lineage],
        [c.at for c in lineage],
        [c.event_id for c in lineage],
    )
    edges = [(c, e) for c in lineage for e in c.edges]
    await conn.execute(
        sql["column_edges"],
        [c.dobject_id for c, _ in edges],
        [e[0] for _, e in edges],
        [e[1] for _, e in edges],
        [e[2] for _, e in edges],
        [e[3] for _, e in edges],
        [c.at for c, _ in edges],
        [c.event_id for c, _ in edges],
    )


async def applied_sequence(conn: asyncpg.Connection) -> int:
    """The stream sequence the projection has applied up to."""
    value = await conn.fetchval(
        f"SELECT applied_sequence FROM {PROJECTION_SCHEMA}.projection_state WHERE id = 1"
    )
    return int(value or 0)
