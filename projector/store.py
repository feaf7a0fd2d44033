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

from lineage_core.db.tables import APPLIED_CHANNEL, PROJECTION_SCHEMA
from lineage_core.events import Event
from projector.apply import ColumnLineageRow, ProjectionRows, fold

# Held shared by every batch transaction and exclusively by `lineage rebuild`, so no
# batch is applied to a projection that is being replaced.
REBUILD_LOCK_KEY: Final = 7416002


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


# the dobject columns the earliest registration decides (the projection rules)
DOBJECT_CREATED_COLUMNS: Final = (
    "name",
    "suffix",
    "size",
    "hash",
    "uri",
    "created_at",
    "created_event_id",
)

INSERT_RAW: Final = """
INSERT INTO public.raw_events
    (event_id, sequence, event_type, run_id, occurred_at, subject, payload)
SELECT e, s, t, r, o, j, p::jsonb
FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::uuid[], $5::timestamptz[], $6::text[],
            $7::text[]) AS u(e, s, t, r, o, j, p)
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id
"""


# the run columns the earliest RunStarted decides (the parent included)
RUN_START_COLUMNS: Final = (
    "name",
    "transform_id",
    "started_at",
    "started_event_id",
    "parent_run_id",
)


def _sql(schema: str) -> dict[str, str]:
    """The statements for one projection schema (`projection`, or the rebuild's shadow)."""
    transform_newer = (
        "(excluded.title IS NOT NULL OR excluded.reference IS NOT NULL, excluded.updated_at, "
        "excluded.updated_event_id) > (t.title IS NOT NULL OR t.reference IS NOT NULL, "
        "t.updated_at, t.updated_event_id)"
    )
    start_wins = (
        "(excluded.started_event_id IS NOT NULL AND (r.started_event_id IS NULL OR "
        "(excluded.started_at, excluded.started_event_id) < (r.started_at, r.started_event_id)))"
    )
    finish_wins = (
        "(excluded.finished_event_id IS NOT NULL AND (r.finished_event_id IS NULL OR "
        "(excluded.finished_at, excluded.finished_event_id) "
        "< (r.finished_at, r.finished_event_id)))"
    )
    created_wins = (
        "((excluded.created_at, excluded.created_event_id) < (d.created_at, d.created_event_id))"
    )
    fields_wins = (
        "(excluded.fields_event_id IS NOT NULL AND (d.fields_event_id IS NULL OR "
        "(excluded.fields_at, excluded.fields_event_id) < (d.fields_at, d.fields_event_id)))"
    )
    source_wins = (
        "(excluded.source_event_id IS NOT NULL AND (d.source_event_id IS NULL OR "
        "(excluded.source_at, excluded.source_event_id) < (d.source_at, d.source_event_id)))"
    )

    def pick(cond: str, alias: str, *cols: str) -> str:
        return ", ".join(
            f"{c} = CASE WHEN {cond} THEN excluded.{c} ELSE {alias}.{c} END" for c in cols
        )

    return {
        # Two statements on purpose: the rebuild lock must be held before any projection
        # table is opened, or a batch waiting on it would hold the table a rebuild swaps out.
        "rebuild_lock": f"SELECT pg_advisory_xact_lock_shared({REBUILD_LOCK_KEY})",
        "lock_state": (
            f"SELECT applied_sequence FROM {schema}.projection_state WHERE id = 1 FOR UPDATE"
        ),
        "transforms": f"""
INSERT INTO {schema}.transforms AS t (id, type, name, version, title, reference,
                                      registered_at, updated_at, updated_event_id)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::timestamptz[], $8::timestamptz[], $9::uuid[])
ON CONFLICT (id) DO UPDATE SET
  registered_at = LEAST(t.registered_at, excluded.registered_at),
  {pick(transform_newer, "t", "title", "reference", "updated_at", "updated_event_id")}
WHERE excluded.registered_at < t.registered_at OR {transform_newer}
""",
        "runs": f"""
INSERT INTO {schema}.runs AS r (id, first_seen_at, name, transform_id, started_at,
                                started_event_id, status, finished_at, error, finished_event_id,
                                parent_run_id)
SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::uuid[], $5::timestamptz[],
                     $6::uuid[], $7::text[], $8::timestamptz[], $9::text[], $10::uuid[],
                     $11::uuid[])
ON CONFLICT (id) DO UPDATE SET
  first_seen_at = LEAST(r.first_seen_at, excluded.first_seen_at),
  {pick(start_wins, "r", *RUN_START_COLUMNS)},
  {pick(finish_wins, "r", "status", "finished_at", "error", "finished_event_id")}
WHERE excluded.first_seen_at < r.first_seen_at OR {start_wins} OR {finish_wins}
""",
        "dobjects": f"""
INSERT INTO {schema}.dobjects AS d (id, name, suffix, size, hash, uri, created_at,
                                    created_event_id, source_run_id, source_at, source_event_id,
                                    fields, fields_at, fields_event_id)
SELECT i, n, s, z, h, u, c, ce, sr, sa, se, f::jsonb, fa, fe
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[],
            $7::timestamptz[], $8::uuid[], $9::uuid[], $10::timestamptz[], $11::uuid[],
            $12::text[], $13::timestamptz[], $14::uuid[])
     AS x(i, n, s, z, h, u, c, ce, sr, sa, se, f, fa, fe)
ON CONFLICT (id) DO UPDATE SET
  {pick(created_wins, "d", *DOBJECT_CREATED_COLUMNS)},
  {pick(source_wins, "d", "source_run_id", "source_at", "source_event_id")},
  {pick(fields_wins, "d", "fields", "fields_at", "fields_event_id")}
WHERE {created_wins} OR {source_wins} OR {fields_wins}
""",
        # A dobject's column edges all come from one event, the earliest carrying any: an
        # earlier one arriving late first removes the edges of the later one, then the
        # insert skips targets that already hold edges of an earlier event.
        "column_edges_superseded": f"""
DELETE FROM {schema}.column_edges c
USING unnest($1::uuid[], $2::timestamptz[], $3::uuid[]) AS w(target, at, ev)
WHERE c.target_dobject_id = w.target AND (w.at, w.ev) < (c.occurred_at, c.event_id)
""",
        "column_edges": f"""
INSERT INTO {schema}.column_edges (target_dobject_id, target_field, source_dobject_id,
                                   source_field, transformation, occurred_at, event_id)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[],
                     $6::timestamptz[], $7::uuid[]) AS u(t, tf, s, sf, tr, at, ev)
WHERE NOT EXISTS (
  SELECT 1 FROM {schema}.column_edges c
  WHERE c.target_dobject_id = u.t AND (c.occurred_at, c.event_id) < (u.at, u.ev))
ON CONFLICT (target_dobject_id, target_field, source_dobject_id, source_field) DO NOTHING
""",
        "run_inputs": f"""
INSERT INTO {schema}.run_inputs AS ri (run_id, dobject_id, loaded_at, event_id)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::uuid[])
ON CONFLICT (run_id, dobject_id) DO UPDATE SET
  loaded_at = excluded.loaded_at, event_id = excluded.event_id
WHERE (excluded.loaded_at, excluded.event_id) < (ri.loaded_at, ri.event_id)
""",
        "advance": f"""
WITH s AS (
  UPDATE {schema}.projection_state
  SET applied_sequence = GREATEST(applied_sequence, $1),
      last_event_at = GREATEST(last_event_at, $2), updated_at = now()
  WHERE id = 1 RETURNING applied_sequence)
SELECT applied_sequence, pg_notify('{APPLIED_CHANNEL}', applied_sequence::text) FROM s
""",
    }


_STATEMENTS: dict[str, dict[str, str]] = {}


def statements(schema: str = PROJECTION_SCHEMA) -> dict[str, str]:
    if schema not in _STATEMENTS:
        _STATEMENTS[schema] = _sql(schema)
    return _STATEMENTS[schema]


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
        new_events = [a.event for a in fresh if a.event.event_id in inserted]
        if folded is None or len(new_events) != len(accepted):
            folded = fold(new_events)
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
            [d.source.run_id if d.source else None for d in ds],
            [d.source.at if d.source else None for d in ds],
            [d.source.event_id if d.source else None for d in ds],
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
        )
    if rows.column_lineage:
        await write_column_edges(conn, list(rows.column_lineage.values()), sql)


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
