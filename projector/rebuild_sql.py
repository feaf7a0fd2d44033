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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Final

import asyncpg

from lineage_core import events
from projector.rebuild_statements import RAW, STATEMENTS, VERSIONS_AND_WRITES

# The keys and indexes of the rebuilt tables, as statements that drop and recreate them
# (primary keys through their constraints).
_INDEXES: Final = """
SELECT t.relname AS table_name,
       format('ALTER TABLE %I.%I DROP CONSTRAINT %I', n.nspname, t.relname, c.conname)
           AS drop_ddl,
       format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s', n.nspname, t.relname, c.conname,
              pg_get_constraintdef(c.oid)) AS create_ddl
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = $1 AND t.relname = ANY($2::text[]) AND c.contype IN ('p', 'u')
UNION ALL
SELECT i.tablename, format('DROP INDEX %I.%I', i.schemaname, i.indexname), i.indexdef
FROM pg_indexes i
WHERE i.schemaname = $1 AND i.tablename = ANY($2::text[])
  AND NOT EXISTS (
      SELECT 1 FROM pg_constraint c
      WHERE c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass)
"""

# Sorts of a few hundred MB stay in memory rather than spilling to temp files; local to
# the rebuild's transaction.
WORK_MEM: Final = "256MB"

# Each statement's tables: the step fills them all.
STEP_TABLES: Final[dict[str, tuple[str, ...]]] = {
    step: tuple(step.split(" and ")) for step, _ in STATEMENTS
}


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

    The tables' keys and indexes are dropped first and built again once a table is
    filled: one sorted build of each index is several times cheaper than keeping it up to
    date row by row. Without `helpers` it all happens in one transaction of `conn`. With
    them (more connections to the same database), the statements, which write different
    tables, the index builds and the ANALYZE of each table run side by side on `conn` and
    the helpers, one transaction each: Postgres then uses more than one core. The shadow
    schema is nobody else's until the swap, so the fill needs no single transaction.
    """
    tables = [table for tables in STEP_TABLES.values() for table in tables]
    if not helpers:
        async with conn.transaction():
            await _session_settings(conn)
            indexes = await conn.fetch(_INDEXES, schema, tables)
            for index in indexes:
                await conn.execute(index["drop_ddl"])
            for step, statement in STATEMENTS:
                progress(await _fill_step(conn, schema, step, statement))
            progress(await _build_indexes([conn], [i["create_ddl"] for i in indexes]))
        return int(await conn.fetchval(f"SELECT count(*) FROM {RAW}"))

    async with conn.transaction():
        indexes = await conn.fetch(_INDEXES, schema, tables)
        for index in indexes:
            await conn.execute(index["drop_ddl"])
    workers = [conn, *helpers]
    for worker in workers:
        await _session_settings(worker, local=False)
    await _run_jobs(workers, _jobs(schema, indexes, progress))
    return int(await conn.fetchval(f"SELECT count(*) FROM {RAW}"))


@dataclass
class _Job:
    name: str
    after: tuple[str, ...]  # jobs that must be done first
    run: Callable[[asyncpg.Connection], Awaitable[None]]


def _jobs(schema: str, indexes: Sequence[asyncpg.Record], progress: Progress) -> list[_Job]:
    """The fills, then each table's index builds, in the order the workers take them.

    A table's indexes are built as soon as it is filled (and analysed: fresh tables have
    no planner statistics, and the lineage walk then plans a scan of every dobject), by
    whichever worker is free, while the other statements go on."""
    statements = dict(STATEMENTS)

    def fill(step: str) -> Callable[[asyncpg.Connection], Awaitable[None]]:
        async def run(worker: asyncpg.Connection) -> None:
            async with worker.transaction():
                report = await _fill_step(worker, schema, step, statements[step])
            for table in STEP_TABLES[step]:
                await worker.execute(f"ANALYZE {schema}.{table}")
            progress(report)

        return run

    ddl: dict[str, list[str]] = {}
    for index in indexes:
        ddl.setdefault(index["table_name"], []).append(index["create_ddl"])
    spent = dict.fromkeys(ddl, 0.0)

    def build(table: str, statement: str) -> Callable[[asyncpg.Connection], Awaitable[None]]:
        async def run(worker: asyncpg.Connection) -> None:
            started = time.perf_counter()
            await worker.execute(statement)
            spent[table] += time.perf_counter() - started
            ddl[table].remove(statement)
            if not ddl[table]:  # the table's last index: one line for them all
                built = sum(1 for i in indexes if i["table_name"] == table)
                progress(StepReport(f"keys and indexes of {table}", built, spent[table], "built"))

        return run

    fills = [_Job(step, (), fill(step)) for step in _EXPECTED_ORDER]
    step_of = {table: step for step, tables in STEP_TABLES.items() for table in tables}
    by_size = sorted(indexes, key=lambda i: _EXPECTED_ORDER.index(step_of[i["table_name"]]))
    builds = [
        _Job(i["create_ddl"], (step_of[i["table_name"]],), build(i["table_name"], i["create_ddl"]))
        for i in by_size
    ]
    return fills + builds


async def _run_jobs(workers: Sequence[asyncpg.Connection], jobs: list[_Job]) -> None:
    """Each worker takes the first job whose prerequisites are done, until none is left."""
    todo = list(jobs)
    done: set[str] = set()
    changed = asyncio.Condition()

    async def work(worker: asyncpg.Connection) -> None:
        while True:
            async with changed:
                job = None
                while todo and job is None:
                    job = next((j for j in todo if set(j.after) <= done), None)
                    if job is None:
                        await changed.wait()
                if job is None:
                    return
                todo.remove(job)
            try:
                await job.run(worker)
            except BaseException:
                todo.clear()  # the other workers stop after their current job
                raise
            finally:
                async with changed:
                    done.add(job.name)
                    changed.notify_all()

    await asyncio.gather(*(work(worker) for worker in workers))


# The statements by the time they take, the order workers take them in (no statement
# reads another's table, so they need not wait for each other).
_EXPECTED_ORDER: Final = (
    "dobjects",
    VERSIONS_AND_WRITES,
    "runs",
    "run_inputs",
    "transforms",
    "column_edges",
)


async def _session_settings(conn: asyncpg.Connection, *, local: bool = True) -> None:
    scope = "LOCAL " if local else ""
    await conn.execute(f"SET {scope}work_mem = '{WORK_MEM}'")
    await conn.execute(f"SET {scope}maintenance_work_mem = '{WORK_MEM}'")
    # The freshly filled tables have no statistics, so the planner guesses hundreds of
    # millions of rows and compiles a statement with JIT: 0.8 s of a 3 s one at a million
    # events, for nothing.
    await conn.execute(f"SET {scope}jit = off")


async def _fill_step(
    conn: asyncpg.Connection, schema: str, step: str, statement: str
) -> StepReport:
    started = time.perf_counter()
    status = await conn.execute(statement.format(s=schema, raw=RAW))
    rows = _rows(status)
    if step == VERSIONS_AND_WRITES:  # its tag counts the writes
        rows += int(await conn.fetchval(f"SELECT count(*) FROM {schema}.dobject_versions"))
    return StepReport(step, rows, time.perf_counter() - started)


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
        for table in (t for tables in STEP_TABLES.values() for t in tables):
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
