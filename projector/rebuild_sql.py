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
from projector.rebuild_statements import PREREQUISITES, RAW, STATEMENTS

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
# Version 3 likewise (dobject.version, InputLoaded.fields).
IDENTITY_ON_READ: Final[frozenset[events.Upcaster]] = frozenset(
    {events.UPCASTERS[1], events.UPCASTERS[2]}
)


def sql_can_upcast() -> bool:
    """Whether every old schema version reads, as stored, like the current one."""
    return all(
        events.UPCASTERS.get(version) in IDENTITY_ON_READ
        for version in range(1, events.CURRENT_SCHEMA_VERSION)
    )


async def sql_can_derive_ids(conn: asyncpg.Connection) -> bool:
    """Whether the statements can compute version ids in Postgres (uuid-ossp, created by
    migration 0006 where the server has it; the embedded Postgres has not)."""
    return bool(
        await conn.fetchval("SELECT to_regprocedure('uuid_generate_v5(uuid, text)') IS NOT NULL")
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
    filled = {table: asyncio.Event() for table, _ in STATEMENTS}

    async def fill(worker: asyncpg.Connection) -> None:
        while todo:
            table, statement = todo.pop(0)
            for before in PREREQUISITES.get(table, ()):
                await filled[before].wait()
            async with worker.transaction():
                progress(await _fill_table(worker, schema, table, statement))
            filled[table].set()

    await asyncio.gather(*(fill(worker) for worker in workers))
    progress(await _build_indexes(workers, [i["create_ddl"] for i in indexes]))
    return int(await conn.fetchval(f"SELECT count(*) FROM {RAW}"))


# The statements by the time they take, for spreading them over workers; dobjects (it
# sorts every InputLoaded and OutputRegistered) waits for the versions and writes.
_EXPECTED_ORDER: Final = (
    "dobject_versions",
    "dobject_writes",
    "dobjects",
    "runs",
    "run_inputs",
    "transforms",
    "column_edges",
)


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
