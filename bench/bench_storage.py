"""Bytes per event in the LINEAGE stream and in Postgres, for the capacity table of
docs/operations.md.

    .venv/bin/python bench/bench_storage.py [--events 120000]

Starts its own nats-server and a fresh database, publishes the workload (runs of six
events: RunStarted, 2 InputLoaded, 2 OutputRegistered, RunFinished), lets `lineage
projector` apply it, then reads the stream's bytes (one replica; a replica count of R
stores R copies) and Postgres' sizes (tables, indexes and TOAST): the raw event log and
the projection. Prints bytes per event and per million events.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg

from lineage_core import subjects
from lineage_core.db.engine import upgrade
from tests.support.parts import start_part
from tests.support.projector import connect_js, publish, wait_applied
from tests.support.servers import NatsServer, PostgresServer
from tests.support.workload import EVENTS_PER_RUN, run_events

SIZES = """
SELECT coalesce(sum(pg_total_relation_size(c.oid)) FILTER (WHERE n.nspname = 'public'
                  AND c.relname = 'raw_events'), 0) AS raw,
       coalesce(sum(pg_total_relation_size(c.oid)) FILTER (WHERE n.nspname = 'projection'), 0)
         AS projection
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r'
"""


async def measure(database_url: str, nats_url: str, events: int, home: Path) -> dict[str, int]:
    projector = start_part("projector", nats_url, database_url, home)
    nc, js = await connect_js(nats_url)
    try:
        runs = events // EVENTS_PER_RUN
        last = 0
        for start in range(0, runs, 1000):
            batch = [e for i in range(start, min(runs, start + 1000)) for e in run_events(i)]
            last = await publish(js, batch)
        await wait_applied(database_url, last, timeout=600)
        info = await js.stream_info(subjects.STREAM)
        conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
        try:
            await conn.execute("VACUUM ANALYZE")
            sizes = await conn.fetchrow(SIZES)
        finally:
            await conn.close()
        return {
            "events": int(info.state.messages),
            "stream": int(info.state.bytes),
            "raw": int(sizes["raw"]),
            "projection": int(sizes["projection"]),
        }
    finally:
        await nc.close()
        projector.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=120_000)
    args = parser.parse_args()
    nats = NatsServer()
    nats.start()
    postgres = PostgresServer()
    name = asyncio.run(postgres.create_database())
    url = postgres.url_for(name)
    try:
        asyncio.run(upgrade(url))
        with tempfile.TemporaryDirectory() as home:
            got = asyncio.run(measure(url, nats.url, args.events, Path(home)))
    finally:
        asyncio.run(postgres.drop_database(name))
        postgres.close()
        nats.close()
    n = got["events"]
    print(f"\n{n:,} workload events (runs of {EVENTS_PER_RUN}), one stream replica\n")
    print(f"| {'where':38} | {'bytes/event':>11} | {'per million events':>18} |")
    print(f"|{'-' * 40}|{'-' * 13}|{'-' * 20}|")
    for label, key in (
        ("LINEAGE stream (file store, 1 replica)", "stream"),
        ("Postgres raw_events (with indexes)", "raw"),
        ("Postgres projection schema", "projection"),
    ):
        print(f"| {label:38} | {got[key] / n:11.0f} | {got[key] / n * 1e6 / 2**30:14.2f} GiB |")


if __name__ == "__main__":
    main()
