"""The projection rebuilt from {raw} by set-based statements inside Postgres.

Every projection rule is "the earliest (or latest) event by (occurred_at, event_id) for a
key" (see apply.py), which is `DISTINCT ON (key) ... ORDER BY key, occurred_at, event_id`
over the raw log. So the rebuild is one `INSERT ... SELECT` per table, run by Postgres
over the JSONB payloads, instead of decoding and folding every event in Python.

The rules live in three forms: the Python fold (apply.py), its upserts (store.py) and
these statements. tests/integration/test_rebuild_matches_live.py generates event sets
(any order, duplicates, late RunStarted, two runs claiming one output, both schema
versions) and requires the live projector's tables and these to be identical, row for row.

Schema versions: the statements read every payload as the current version. That holds
while each upcaster of lineage_core.events only adds optional fields (absent in an old
payload, so the upcast is the identity on what is read here): such upcasters are listed
in IDENTITY_ON_READ. An upcaster that changes what is read has no SQL twin here, and the
rebuild then falls back to folding in Python (rebuild_fold.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import asyncpg

from lineage_core import events

# One statement per projection table, in this order; `{s}` is the target schema and `{raw}`
# the raw log (fixed names from this package, never user input).
# Each statement first projects the few fields it needs out of the JSONB payloads in a
# subquery fenced with OFFSET 0, so the sorts carry narrow rows, not whole payloads
# (a third less time at a million events).
_TRANSFORMS: Final = """
INSERT INTO {s}.transforms (id, type, name, version, title, reference,
                            registered_at, updated_at, updated_event_id)
SELECT DISTINCT ON (id) id, type, name, version, title, reference,
       min(occurred_at) OVER latest_first, occurred_at, event_id
FROM (
    SELECT (payload->'transform'->>'id')::uuid AS id,
           payload->'transform'->>'type' AS type,
           payload->'transform'->>'name' AS name,
           payload->'transform'->>'version' AS version,
           payload->'transform'->>'title' AS title,
           payload->'transform'->>'reference' AS reference,
           occurred_at, event_id
    FROM {raw}
    WHERE event_type IN ('TransformRegistered', 'RunStarted')
    OFFSET 0
) t
-- title/reference from the latest event carrying either (apply.TransformRow.attrs_key);
-- the window shares the ORDER BY, so one sort serves both
WINDOW latest_first AS (
    PARTITION BY id
    ORDER BY (title IS NOT NULL OR reference IS NOT NULL) DESC, occurred_at DESC, event_id DESC
    ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
ORDER BY id, (title IS NOT NULL OR reference IS NOT NULL) DESC, occurred_at DESC, event_id DESC
"""

_RUNS: Final = """
INSERT INTO {s}.runs (id, first_seen_at, name, transform_id, started_at, started_event_id,
                      status, finished_at, error, finished_event_id, parent_run_id)
WITH seen AS (
    -- a run is seen by its own events and by every RunStarted naming it as parent
    SELECT run_id, min(occurred_at) AS first_seen_at
    FROM (
        SELECT run_id, occurred_at FROM {raw} WHERE run_id IS NOT NULL
        UNION ALL
        SELECT (payload->>'parent_run_id')::uuid, occurred_at
        FROM {raw}
        WHERE event_type = 'RunStarted' AND jsonb_typeof(payload->'parent_run_id') = 'string'
    ) r
    GROUP BY run_id
), started AS (
    SELECT DISTINCT ON (run_id) run_id, name, transform_id, occurred_at AS started_at,
           event_id AS started_event_id, parent_run_id
    FROM (
        SELECT run_id, payload->>'run_name' AS name,
               (payload->'transform'->>'id')::uuid AS transform_id, occurred_at, event_id,
               (payload->>'parent_run_id')::uuid AS parent_run_id
        FROM {raw} WHERE event_type = 'RunStarted'
        OFFSET 0
    ) e
    ORDER BY run_id, occurred_at, event_id
), finished AS (
    SELECT DISTINCT ON (run_id) run_id, upper(status) AS status, occurred_at AS finished_at,
           error, event_id AS finished_event_id
    FROM (
        SELECT run_id, payload->>'status' AS status, payload->>'error' AS error,
               occurred_at, event_id
        FROM {raw} WHERE event_type = 'RunFinished'
        OFFSET 0
    ) e
    ORDER BY run_id, occurred_at, event_id
)
SELECT seen.run_id, seen.first_seen_at, s.name, s.transform_id, s.started_at,
       s.started_event_id, coalesce(f.status, 'STARTED'), f.finished_at, f.error,
       f.finished_event_id, s.parent_run_id
FROM seen
LEFT JOIN started s ON s.run_id = seen.run_id
LEFT JOIN finished f ON f.run_id = seen.run_id
"""

_DOBJECTS: Final = """
INSERT INTO {s}.dobjects (id, name, suffix, size, hash, uri, created_at, created_event_id,
                          source_run_id, source_at, source_event_id,
                          fields, fields_at, fields_event_id)
WITH created AS (
    SELECT DISTINCT ON (id) *
    FROM (
        SELECT (payload->'dobject'->>'id')::uuid AS id, payload->'dobject'->>'name' AS name,
               payload->'dobject'->>'suffix' AS suffix,
               (payload->'dobject'->>'size')::bigint AS size,
               payload->'dobject'->>'hash' AS hash, payload->'dobject'->>'uri' AS uri,
               occurred_at AS created_at, event_id AS created_event_id
        FROM {raw} WHERE event_type IN ('InputLoaded', 'OutputRegistered')
        OFFSET 0
    ) e
    ORDER BY id, created_at, created_event_id
), sourced AS (
    SELECT DISTINCT ON (id) *
    FROM (
        SELECT (payload->'dobject'->>'id')::uuid AS id, run_id, occurred_at, event_id
        FROM {raw} WHERE event_type = 'OutputRegistered'
        OFFSET 0
    ) e
    ORDER BY id, occurred_at, event_id
), schema AS (
    -- the earliest registration carrying fields; every key present, as apply.fields_json
    SELECT DISTINCT ON (id) id, fields, occurred_at, event_id
    FROM (
        SELECT (payload->'dobject'->>'id')::uuid AS id,
               coalesce((
                   SELECT jsonb_agg(jsonb_build_object('name', f->'name', 'type', f->'type',
                                                       'description', f->'description')
                                    ORDER BY n)
                   FROM jsonb_array_elements(payload->'fields') WITH ORDINALITY AS e(f, n)
               ), '[]'::jsonb) AS fields,
               occurred_at, event_id
        FROM {raw}
        WHERE event_type = 'OutputRegistered' AND jsonb_typeof(payload->'fields') = 'array'
        OFFSET 0
    ) e
    ORDER BY id, occurred_at, event_id
)
SELECT c.id, c.name, c.suffix, c.size, c.hash, c.uri, c.created_at, c.created_event_id,
       s.run_id, s.occurred_at, s.event_id, f.fields, f.occurred_at, f.event_id
FROM created c LEFT JOIN sourced s ON s.id = c.id LEFT JOIN schema f ON f.id = c.id
"""

_RUN_INPUTS: Final = """
INSERT INTO {s}.run_inputs (run_id, dobject_id, loaded_at, event_id)
SELECT DISTINCT ON (run_id, dobject_id) run_id, dobject_id, occurred_at, event_id
FROM (
    SELECT run_id, (payload->'dobject'->>'id')::uuid AS dobject_id, occurred_at, event_id
    FROM {raw} WHERE event_type = 'InputLoaded'
    OFFSET 0
) i
ORDER BY run_id, dobject_id, occurred_at, event_id
"""

# Every edge of a dobject from its earliest registration carrying column lineage.
_COLUMN_EDGES: Final = """
INSERT INTO {s}.column_edges (target_dobject_id, target_field, source_dobject_id,
                              source_field, transformation, occurred_at, event_id)
WITH winner AS (
    SELECT DISTINCT ON (id) id, occurred_at, event_id
    FROM (
        SELECT (payload->'dobject'->>'id')::uuid AS id, occurred_at, event_id
        FROM {raw}
        WHERE event_type = 'OutputRegistered'
          AND jsonb_typeof(payload->'column_lineage') = 'array'
          AND jsonb_array_length(payload->'column_lineage') > 0
        OFFSET 0
    ) e
    ORDER BY id, occurred_at, event_id
)
SELECT w.id, entry->>'field', (input->>'dobject_id')::uuid, input->>'field',
       input->>'transformation', w.occurred_at, w.event_id
FROM winner w
JOIN {raw} r ON r.event_id = w.event_id,
     jsonb_array_elements(r.payload->'column_lineage') AS entry,
     jsonb_array_elements(entry->'inputs') AS input
"""

RAW: Final = "public.raw_events"

STATEMENTS: Final = (
    ("transforms", _TRANSFORMS),
    ("runs", _RUNS),
    ("dobjects", _DOBJECTS),
    ("run_inputs", _RUN_INPUTS),
    ("column_edges", _COLUMN_EDGES),
)

# The keys and indexes of the rebuilt tables, as statements that drop and recreate them
# (primary keys through their constraints).
_INDEXES: Final = """
SELECT format('ALTER TABLE %I.%I DROP CONSTRAINT %I', n.nspname, t.relname, c.conname)
           AS drop_ddl,
       format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s', n.nspname, t.relname, c.conname,
              pg_get_constraintdef(c.oid)) AS create_ddl
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = $1 AND t.relname = ANY($2::text[]) AND c.contype IN ('p', 'u')
UNION ALL
SELECT format('DROP INDEX %I.%I', i.schemaname, i.indexname), i.indexdef
FROM pg_indexes i
WHERE i.schemaname = $1 AND i.tablename = ANY($2::text[])
  AND NOT EXISTS (
      SELECT 1 FROM pg_constraint c
      WHERE c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass)
"""

# Sorts of a few hundred MB stay in memory rather than spilling to temp files; local to
# the rebuild's transaction.
WORK_MEM: Final = "256MB"


# Upcasters whose effect on the fields these statements read is the identity. Version 2
# only added optional fields (a version 1 payload carrying one was never accepted).
IDENTITY_ON_READ: Final[frozenset[events.Upcaster]] = frozenset({events.UPCASTERS[1]})


def sql_can_upcast() -> bool:
    """Whether every old schema version reads, as stored, like the current one."""
    return all(
        events.UPCASTERS.get(version) in IDENTITY_ON_READ
        for version in range(1, events.CURRENT_SCHEMA_VERSION)
    )


@dataclass(frozen=True)
class StepReport:
    table: str
    rows: int
    seconds: float
    unit: str = "rows"


Progress = Callable[[StepReport], None]


async def fill_projection(
    conn: asyncpg.Connection,
    schema: str,
    progress: Progress,
    helpers: Sequence[asyncpg.Connection] = (),
) -> int:
    """Fill the (empty) projection tables of `schema` from the raw log; events read.

    The tables' keys and indexes are dropped first and built again at the end: one sorted
    build of each index is several times cheaper than keeping it up to date row by row.
    Without `helpers` it all happens in one transaction of `conn`. With them (more
    connections to the same database), the statements, which write different tables,
    run side by side on `conn` and the helpers, one transaction each, and so do the
    index builds: Postgres then uses more than one core. The shadow schema is nobody
    else's until the swap, so the fill needs no single transaction.
    """
    tables = [table for table, _ in STATEMENTS]
    if not helpers:
        async with conn.transaction():
            await _session_memory(conn)
            indexes = await conn.fetch(_INDEXES, schema, tables)
            for index in indexes:
                await conn.execute(index["drop_ddl"])
            for table, statement in STATEMENTS:
                progress(await _fill_table(conn, schema, table, statement))
            progress(await _build_indexes([conn], [i["create_ddl"] for i in indexes]))
        return int(await conn.fetchval(f"SELECT count(*) FROM {RAW}"))

    async with conn.transaction():
        indexes = await conn.fetch(_INDEXES, schema, tables)
        for index in indexes:
            await conn.execute(index["drop_ddl"])
    workers = [conn, *helpers]
    for worker in workers:
        await _session_memory(worker, local=False)
    # longest first, so the workers finish together
    todo = sorted(STATEMENTS, key=lambda step: _EXPECTED_ORDER.index(step[0]))

    async def fill(worker: asyncpg.Connection) -> None:
        while todo:
            table, statement = todo.pop(0)
            async with worker.transaction():
                progress(await _fill_table(worker, schema, table, statement))

    await asyncio.gather(*(fill(worker) for worker in workers))
    progress(await _build_indexes(workers, [i["create_ddl"] for i in indexes]))
    return int(await conn.fetchval(f"SELECT count(*) FROM {RAW}"))


# The statements by the time they take (dobjects sorts every InputLoaded and
# OutputRegistered), for spreading them over workers.
_EXPECTED_ORDER: Final = ("dobjects", "runs", "run_inputs", "transforms", "column_edges")


async def _session_memory(conn: asyncpg.Connection, *, local: bool = True) -> None:
    scope = "LOCAL " if local else ""
    await conn.execute(f"SET {scope}work_mem = '{WORK_MEM}'")
    await conn.execute(f"SET {scope}maintenance_work_mem = '{WORK_MEM}'")


async def _fill_table(
    conn: asyncpg.Connection, schema: str, table: str, statement: str
) -> StepReport:
    started = time.perf_counter()
    status = await conn.execute(statement.format(s=schema, raw=RAW))
    return StepReport(table, _rows(status), time.perf_counter() - started)


async def _build_indexes(workers: Sequence[asyncpg.Connection], ddl: list[str]) -> StepReport:
    started = time.perf_counter()
    todo = list(ddl)

    async def build(worker: asyncpg.Connection) -> None:
        while todo:
            await worker.execute(todo.pop(0))

    await asyncio.gather(*(build(worker) for worker in workers))
    return StepReport("keys and indexes", len(ddl), time.perf_counter() - started, "built")


def _rows(status: str) -> int:
    """The row count of an `INSERT 0 n` command tag."""
    return int(status.rsplit(" ", 1)[-1])


# The dry run times the statements on a sample of about this many raw events.
SAMPLE_EVENTS: Final = 20_000


@dataclass(frozen=True)
class RebuildPlan:
    events: int
    by_type: dict[str, int]
    by_version: dict[int, int]
    raw_bytes: int
    sampled: int
    estimate_seconds: float


async def plan_projection(conn: asyncpg.Connection) -> RebuildPlan:
    """What a rebuild would read, and its time estimated from the statements run on a
    sample of the raw log into temporary tables (rolled back: nothing is changed)."""
    by_type = {
        r["event_type"]: int(r["n"])
        for r in await conn.fetch(f"SELECT event_type, count(*) AS n FROM {RAW} GROUP BY 1")
    }
    by_version = {
        int(r["v"]): int(r["n"])
        for r in await conn.fetch(
            f"SELECT (payload->>'schema_version')::int AS v, count(*) AS n FROM {RAW} GROUP BY 1"
        )
    }
    events = sum(by_type.values())
    raw_bytes = int(await conn.fetchval(f"SELECT pg_total_relation_size('{RAW}')"))
    percent = min(100.0, 100.0 * SAMPLE_EVENTS / max(events, 1))
    tx = conn.transaction()
    await tx.start()
    try:
        await conn.execute(
            f"CREATE TEMP TABLE raw_sample ON COMMIT DROP AS "
            f"SELECT * FROM {RAW} TABLESAMPLE SYSTEM ({percent:.6f}) REPEATABLE (1)"
        )
        sampled = int(await conn.fetchval("SELECT count(*) FROM raw_sample"))
        for table, _ in STATEMENTS:
            await conn.execute(
                f"CREATE TEMP TABLE {table} (LIKE projection.{table} INCLUDING ALL) ON COMMIT DROP"
            )
        started = time.perf_counter()
        for _, statement in STATEMENTS:
            await conn.execute(statement.format(s="pg_temp", raw="raw_sample"))
        spent = time.perf_counter() - started
    finally:
        await tx.rollback()
    estimate = spent * events / sampled if sampled else 0.0
    return RebuildPlan(events, by_type, by_version, raw_bytes, sampled, estimate)
