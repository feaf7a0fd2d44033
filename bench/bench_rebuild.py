"""`lineage rebuild` against the COPY ceiling measured in the same run.

    .venv/bin/python bench/bench_rebuild.py [--events 1000000] [--rewrites 1] [--upgrade]
                                            [--fold] [--database-url URL]

Fills public.raw_events of a fresh database with a lineage chain (runs of 1 RunStarted,
2 InputLoaded, 2 OutputRegistered, 1 RunFinished; each run loads the outputs of the run
before it, ten pipelines) generated inside Postgres, so ten million events need no
Python-side encoding. The payloads are valid schema version 1 events (transform ids are
docs/reference/events.md's uuid5). With `--rewrites N` the chain runs N nights: every
stage's run of each night loads the tables the stage before wrote that night and rewrites
its own, so every dataset has N writes, each a version of its own (N x `--events` raw
events: `--events 1000000 --rewrites 10` is the 1M-event chain with every dataset
rewritten 10 times). Then, in this order, on the same database:

1. the COPY ceiling: the first 200,000 raw rows fetched and COPYed back through asyncpg
   into a table of the same columns (no indexes), rows/s;
2. `lineage rebuild` as the operator runs it (a subprocess), its wall time, events/s,
   peak RSS of the process and Postgres temp bytes (pg_stat_database.temp_bytes before
   and after); with `--upgrade` the database is first at revision 0005 (before dataset
   versions) and the figure is the upgrade as an operator meets it: `upgrade head`
   (migration 0006 marks the projection for a rebuild) and then that rebuild;
3. with --fold, the Python fold the rebuild used before (projector/rebuild_fold.py) on
   the same log, for the before/after ratio.

Prints one table. The machine is shared: read every figure against the same run's COPY.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alembic import command

from lineage_core.db.engine import _alembic_config, upgrade, upgrade_sync
from lineage_core.ids import transform_id
from projector.store import asyncpg_dsn
from tests.support.servers import PostgresServer

PIPELINES = 10
BEFORE_VERSIONS = "0005"  # the revision before migration 0006 (dataset versions)
COPY_SAMPLE = 200_000
RUNS_PER_STATEMENT = 50_000

# One statement per slice of runs [$1, $2): six events each, ids derived from the run
# index with md5 (reproducible), times one second apart per run. Run i is stage i % $5 of
# night i / $5: it loads the tables of the stage before and writes its stage's tables.
_FILL = """
WITH nightly AS (
    SELECT i, i % $5 AS s FROM generate_series($1::bigint, $2::bigint - 1) AS i
), runs AS (
    SELECT i, s, md5('run/' || i)::uuid AS run_id,
           timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second' AS t0,
           ($3::uuid[])[s % $4 + 1] AS transform_id, 'pipeline ' || (s % $4) AS transform_name
    FROM nightly
), events AS (
    SELECT r.i, e.k, r.run_id, r.t0 + e.k * interval '1 millisecond' AS at, e.event_type,
           e.dobject
    FROM runs r CROSS JOIN LATERAL (VALUES
        (0, 'RunStarted', NULL::jsonb),
        (1, 'InputLoaded', jsonb_build_object(
            'id', CASE WHEN r.s = 0 THEN md5('raw/0') ELSE md5('d/' || (r.s - 1) || '/0') END::uuid,
            'name', CASE WHEN r.s = 0 THEN 'raw_0' ELSE 'out_' || (r.s - 1) || '_0' END,
            'suffix', CASE WHEN r.s = 0 THEN '.fastq.gz' ELSE '.bam' END)),
        (2, 'InputLoaded', jsonb_build_object(
            'id', CASE WHEN r.s = 0 THEN md5('raw/1') ELSE md5('d/' || (r.s - 1) || '/1') END::uuid,
            'name', CASE WHEN r.s = 0 THEN 'raw_1' ELSE 'out_' || (r.s - 1) || '_1' END,
            'suffix', CASE WHEN r.s = 0 THEN '.fastq.gz' ELSE '.bam' END)),
        (3, 'OutputRegistered', jsonb_build_object(
            'id', md5('d/' || r.s || '/0')::uuid, 'name', 'out_' || r.s || '_0',
            'suffix', '.bam', 'size', 1000)),
        (4, 'OutputRegistered', jsonb_build_object(
            'id', md5('d/' || r.s || '/1')::uuid, 'name', 'out_' || r.s || '_1',
            'suffix', '.bam', 'size', 1001)),
        (5, 'RunFinished', NULL::jsonb)
    ) AS e(k, event_type, dobject)
)
INSERT INTO public.raw_events (event_id, sequence, event_type, run_id, occurred_at, subject,
                               payload)
SELECT md5('event/' || ev.i || '/' || ev.k)::uuid, ev.i * 6 + ev.k + 1, ev.event_type,
       ev.run_id, ev.at,
       CASE ev.event_type WHEN 'RunStarted' THEN 'lineage.run.started'
                          WHEN 'InputLoaded' THEN 'lineage.input.loaded'
                          WHEN 'OutputRegistered' THEN 'lineage.output.registered'
                          ELSE 'lineage.run.finished' END,
       jsonb_strip_nulls(jsonb_build_object(
           'event_id', md5('event/' || ev.i || '/' || ev.k)::uuid,
           'event_type', ev.event_type, 'schema_version', 1,
           'occurred_at', to_jsonb(ev.at), 'producer', 'bench_rebuild',
           'run_id', ev.run_id,
           'transform', CASE WHEN ev.event_type = 'RunStarted' THEN jsonb_build_object(
               'id', r.transform_id, 'type', 'pipeline', 'name', r.transform_name,
               'version', '1') END,
           'run_name', CASE WHEN ev.event_type = 'RunStarted' THEN 'run ' || ev.i END,
           'dobject', ev.dobject,
           'status', CASE WHEN ev.event_type = 'RunFinished' THEN 'completed' END))
FROM events ev JOIN runs r ON r.i = ev.i
"""


async def fill(dsn: str, events: int, rewrites: int = 1) -> None:
    stages = events // 6
    runs = stages * rewrites
    ids = [transform_id("pipeline", f"pipeline {k}", "1") for k in range(PIPELINES)]
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        for first in range(0, runs, RUNS_PER_STATEMENT):
            last = min(runs, first + RUNS_PER_STATEMENT)
            await conn.execute(_FILL, first, last, ids, PIPELINES, stages)
            print(f"\r  raw events: {last * 6:,}", end="", file=sys.stderr, flush=True)
        await conn.execute("ANALYZE public.raw_events")
        print(f"\n  written in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    finally:
        await conn.close()


async def copy_ceiling(dsn: str) -> float:
    """rows/s of asyncpg COPY of raw-event rows into a plain table of the same columns."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT event_id, sequence, event_type, run_id, occurred_at, subject, payload::text "
            "FROM public.raw_events ORDER BY sequence LIMIT $1",
            COPY_SAMPLE,
        )
        await conn.execute(
            "CREATE TABLE bench_copy (event_id uuid, sequence bigint, event_type text, "
            "run_id uuid, occurred_at timestamptz, subject text, payload jsonb)"
        )
        records = [tuple(r) for r in rows]
        started = time.perf_counter()
        await conn.copy_records_to_table("bench_copy", records=records)
        spent = time.perf_counter() - started
        await conn.execute("DROP TABLE bench_copy")
        return len(records) / spent
    finally:
        await conn.close()


async def temp_bytes(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        return int(
            await conn.fetchval(
                "SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()"
            )
        )
    finally:
        await conn.close()


def run_rebuild(database_url: str) -> tuple[float, float, str]:
    """`lineage rebuild` in a subprocess: (seconds, peak RSS MiB, its stderr).

    The peak is the process's own VmHWM, polled from /proc: getrusage of a child would
    also count the benchmark's memory it shared between fork and exec."""
    env = {**os.environ, "LINEAGE_DATABASE_URL": database_url}
    lineage = str(Path(sys.executable).with_name("lineage"))
    peak_kib = 0
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen([lineage, "rebuild"], env=env, stdout=out, stderr=err)
        while proc.poll() is None:
            peak_kib = max(peak_kib, _hwm_kib(proc.pid))
            time.sleep(0.1)
        spent = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        printed, errors = out.read(), err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"lineage rebuild failed: {printed}\n{errors}")
    return spent, peak_kib / 1024, errors


def _hwm_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


async def fold_rebuild(dsn: str) -> float:
    """The Python fold (the rebuild's fallback) into a scratch schema; seconds."""
    from lineage_core.db.tables import PROJECTION_TABLES
    from projector.rebuild_fold import fold_projection

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS bench_fold CASCADE; CREATE SCHEMA bench_fold")
        for table in PROJECTION_TABLES:
            await conn.execute(
                f"CREATE TABLE bench_fold.{table.name} (LIKE projection.{table.name} INCLUDING ALL)"
            )
        started = time.perf_counter()
        await fold_projection(conn, "bench_fold", lambda _step: None)
        spent = time.perf_counter() - started
        await conn.execute("DROP SCHEMA bench_fold CASCADE")
        return spent
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument(
        "--rewrites", type=int, default=1, help="writes of every dataset (nights of the chain)"
    )
    parser.add_argument(
        "--upgrade", action="store_true", help="time the upgrade from revision 0005 instead"
    )
    parser.add_argument("--fold", action="store_true", help="also time the Python fold")
    parser.add_argument("--database-url", help="reuse a database whose raw log is filled")
    args = parser.parse_args()

    postgres = None
    database_url = args.database_url
    if database_url is None:
        postgres = PostgresServer()
        name = asyncio.run(postgres.create_database())
        database_url = postgres.url_for(name)
        print(f"filling {database_url}", file=sys.stderr)
        if args.upgrade:  # the schema before dataset versions
            command.upgrade(_alembic_config(database_url), BEFORE_VERSIONS)
        else:
            asyncio.run(upgrade(database_url))
        asyncio.run(fill(asyncpg_dsn(database_url), args.events, args.rewrites))
    dsn = asyncpg_dsn(database_url)
    migrations = None
    try:
        events = asyncio.run(_count(dsn))
        copy_rate = asyncio.run(copy_ceiling(dsn))
        temp_before = asyncio.run(temp_bytes(dsn))
        if args.upgrade:
            started = time.perf_counter()
            upgrade_sync(database_url)
            migrations = time.perf_counter() - started
        seconds, peak_mib, stderr = run_rebuild(database_url)
        temp_used = asyncio.run(temp_bytes(dsn)) - temp_before
        fold_seconds = asyncio.run(fold_rebuild(dsn)) if args.fold else None
    finally:
        if postgres is not None and args.database_url is None:
            print(f"  (reuse with --database-url {database_url})", file=sys.stderr)
    rate = events / seconds
    shape = f", every dataset written {args.rewrites} times" if args.rewrites > 1 else ""
    print(
        f"\nrebuild of {events:,} raw events{shape} (the machine is shared: read it as one run)\n"
    )
    print("| what | figure | vs COPY |")
    print("|---|---|---|")
    print(f"| asyncpg COPY of raw rows (same run) | {copy_rate:,.0f} rows/s | 1.00 |")
    if migrations is not None:
        total = migrations + seconds
        print(
            f"| upgrade from 0005: `upgrade head` + the rebuild it marks | "
            f"{events / total:,.0f} events/s, {total:.1f} s | {events / total / copy_rate:.2f} |"
        )
        print(f"| &nbsp; `upgrade head` (migrations 0006-) | {migrations:.1f} s | |")
    print(
        f"| `lineage rebuild` (set-based SQL) | {rate:,.0f} events/s, {seconds:.1f} s |"
        f" {rate / copy_rate:.2f} |"
    )
    if fold_seconds is not None:
        fold_rate = events / fold_seconds
        print(
            f"| Python fold (the fallback, before) | {fold_rate:,.0f} events/s, "
            f"{fold_seconds:.1f} s | {fold_rate / copy_rate:.2f} |"
        )
    print(f"| peak RSS of `lineage rebuild` | {peak_mib:,.0f} MiB | |")
    print(f"| Postgres temp space used | {temp_used / 2**20:,.1f} MiB | |")
    steps = re.findall(r"rebuilt ([\w ]+): ([\d,]+) (rows|built) in ([\d.]+) s", stderr)
    for table, rows, unit, spent in steps:
        print(f"| &nbsp; {table} | {rows} {unit} in {spent} s | |")


async def _count(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM public.raw_events"))
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
