"""JetStream failover under load: three nats-servers, LINEAGE_STREAM_REPLICAS=3.

    .venv/bin/python bench/bench_failover.py [--events 20000] [--rate 60] [--producers 4]

Starts a three-node JetStream cluster on loopback (its own ports and stores), a fresh
Postgres database, `lineage projector` and `lineage api` as their own processes. SDK
publishers (each its own outbox) send `--events` at a steady `--rate`; at 15% of the
sends the node leading the LINEAGE stream is killed with SIGKILL and restarted once
publishes are acknowledged again; from 55% the next leader gets the same. Then it checks
that every event is in raw_events exactly once and prints how long each failover took.
The integration test tests/integration/test_jetstream_cluster.py runs the same scenario
with 2,000 events. Timings on a shared 2-core machine are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lineage_core.db.engine import upgrade
from lineage_core.startup import wait_for_jetstream
from tests.support.cluster import NatsCluster
from tests.support.failover import describe_report, run_failover
from tests.support.parts import start_part, wait_for_part
from tests.support.servers import PostgresServer


async def main(args: argparse.Namespace, postgres: PostgresServer) -> int:
    name = await postgres.create_database()
    database_url = postgres.url_for(name)
    await upgrade(database_url)
    cluster = NatsCluster()
    home = Path(tempfile.mkdtemp(prefix="lineage-failover-"))
    cluster.start()
    env = {"LINEAGE_STREAM_REPLICAS": "3"}
    projector = api = None
    try:
        await wait_for_jetstream(cluster.url.split(","))
        projector = start_part("projector", cluster.url, database_url, home / "p", **env)
        api = start_part("api", cluster.url, database_url, home / "a", **env)
        await asyncio.to_thread(wait_for_part, lambda: api.readyz()[0] == 200, 120, "ready", api)
        report = await run_failover(
            cluster,
            database_url,
            api,
            projector,
            home / "producers",
            events=args.events,
            rate=args.rate,
            producers=args.producers,
            settle_timeout=300,
        )
        print(describe_report(report))
        print(f"(2 shared cores; {args.producers} SDK publishers, {args.rate:.0f} events/s asked)")
        ok = report.missing == 0 and report.duplicates == 0
        print("every event projected exactly once" if ok else "LOST OR DUPLICATED EVENTS")
        return 0 if ok else 1
    finally:
        for part in (api, projector):
            if part is not None:
                part.stop()
        cluster.close()
        await postgres.drop_database(name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=60.0, help="events/s, all producers")
    parser.add_argument("--producers", type=int, default=4)
    server = PostgresServer()  # probes the local server with its own event loop
    try:
        code = asyncio.run(main(parser.parse_args(), server))
    finally:
        server.close()
    sys.exit(code)
