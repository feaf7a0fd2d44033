"""The Marquez-shaped routes against our own GraphQL API, on one database, in one run.

Builds a database of OpenLineage runs (chains of jobs: step k of chain c reads dataset
`c/k` and writes `c/k+1`; each run is one COMPLETE event, 4 lineage events once mapped),
the way the ingest keeps them: the raw documents, the registry of their names and the
lineage events, the projection rebuilt from those. Then, with one `lineage api` worker:

- `GET /api/v1/namespaces/bench/datasets?limit=100` and `.../jobs?limit=100` p50 against
  the GraphQL page of 100 dobjects (with its totalCount, as Marquez's lists carry one);
- `GET /api/v1/search?q=` p50;
- `GET /api/v1/lineage?nodeId=dataset:...&depth=20` against the GraphQL walk of the
  same graph (both directions, 40 hops: Marquez's depth counts job hops).

    python bench/bench_marquez.py [--events 1000000] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_api import analyze, percentile, serve_api
from lineage_core import subjects
from lineage_core.db.engine import upgrade
from lineage_core.events import encode
from lineage_core.ids import dataset_dobject_id
from lineage_core.settings import Settings
from lineage_read.database import Database
from lineage_read.marquez.registry import register
from openlineage_api.mapping import map_event
from openlineage_api.marquez.registration import registrations
from openlineage_api.models import RunEvent
from projector.rebuild import rebuild
from projector.store import asyncpg_dsn
from tests.support.servers import NatsServer, PostgresServer

CHAIN = 100  # runs per chain: deep enough for depth 20 (40 hops) from its middle
NAMESPACE = "bench"


def document(chain: int, step: int, at: datetime) -> dict[str, Any]:
    def ds(k: int) -> dict[str, Any]:
        return {"namespace": NAMESPACE, "name": f"chain-{chain:05d}/table-{k:03d}"}

    return {
        "eventType": "COMPLETE",
        "eventTime": at.isoformat(),
        "producer": "https://example.org/bench",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": NAMESPACE, "name": f"chain-{chain:05d}.step-{step:03d}"},
        "inputs": [ds(step)],
        "outputs": [ds(step + 1)],
    }


async def build(database_url: str, runs: int) -> None:
    await upgrade(database_url)
    dsn = asyncpg_dsn(database_url)
    conn = await asyncpg.connect(dsn)
    registry = await Database.open(database_url, sessions=3, statement_timeout_ms=0)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    sequence = 0
    started = time.perf_counter()
    raw_columns = [
        "event_id",
        "sequence",
        "event_type",
        "run_id",
        "occurred_at",
        "subject",
        "payload",
    ]
    ol_columns = ["run_id", "event_type", "event_time", "job_namespace", "job_name", "payload"]
    try:
        for first in range(0, runs, 5000):
            docs = []
            for index in range(first, min(runs, first + 5000)):
                chain, step = divmod(index, CHAIN)
                docs.append(document(chain, step, base + timedelta(seconds=index)))
            raw_rows, ol_rows = [], []
            for doc in docs:
                event = RunEvent.model_validate(doc)
                when = datetime.fromisoformat(doc["eventTime"])
                ol_rows.append(
                    (
                        event.run.runId,
                        "COMPLETE",
                        when,
                        NAMESPACE,
                        doc["job"]["name"],
                        json.dumps(doc),
                    )
                )
                for e in map_event(event):
                    sequence += 1
                    raw_rows.append(
                        (
                            e.event_id,
                            sequence,
                            e.event_type,
                            getattr(e, "run_id", None),
                            e.occurred_at,
                            subjects.subject_for(e.event_type),
                            encode(e).decode(),
                        )
                    )
            await conn.copy_records_to_table(
                "raw_events", schema_name="public", columns=raw_columns, records=raw_rows
            )
            await conn.copy_records_to_table(
                "openlineage_events", schema_name="public", columns=ol_columns, records=ol_rows
            )
            await register(
                registry, registrations((d, datetime.fromisoformat(d["eventTime"])) for d in docs)
            )
            print(f"\r  lineage events: {sequence:,}", end="", file=sys.stderr, flush=True)
    finally:
        await conn.close()
        await registry.close()
    print(f"\n  written in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    started = time.perf_counter()
    await rebuild(Settings(database_url=database_url))
    print(f"  projection rebuilt in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    await analyze(database_url)


def timed_get(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as answer:
        answer.read()
        assert answer.status == 200, url
    return (time.perf_counter() - start) * 1000


def timed_post(url: str, body: dict[str, Any]) -> float:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as answer:
        data = json.loads(answer.read())
    assert "errors" not in data, data
    return (time.perf_counter() - start) * 1000


def p50s(calls: dict[str, Any], requests: int) -> dict[str, float]:
    """Each call's p50, the calls taken in turn (one of each per round): a shared
    machine's load then weighs on every route and its reference alike."""
    for call in calls.values():
        for _ in range(5):  # warm-up: prepared statements, caches
            call()
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(requests):
        for name, call in calls.items():
            times[name].append(call())
    return {name: percentile(ms, 0.5) for name, ms in times.items()}


PAGE = "{ dobjects(first: 100) { totalCount nodes { id name suffix createdAt } } }"
WALK = """query W($d: ID!) { lineage(dobjectId: $d, direction: BOTH, depth: 40) {
  truncated nodes { id kind depth } edges { source target } } }"""


def measure(port: int, runs: int, requests: int) -> list[tuple[str, float, str, float]]:
    api = f"http://127.0.0.1:{port}"
    chain = (runs // CHAIN) // 2
    middle = f"chain-{chain:05d}/table-{CHAIN // 2:03d}"
    dobject = str(dataset_dobject_id(NAMESPACE, middle))
    walk_body = {"query": WALK, "variables": {"d": dobject}}
    node = urllib.parse.quote(f"dataset:{NAMESPACE}:{middle}", safe="")
    narrow = f"chain-{chain:05d}/table-05"
    routes = [
        ("datasets?limit=100", f"namespaces/{NAMESPACE}/datasets?limit=100", "page"),
        ("jobs?limit=100", f"namespaces/{NAMESPACE}/jobs?limit=100", "page"),
        ("search?q=table-05", "search?q=table-05", "page"),
        (f"search?q={narrow}", f"search?q={urllib.parse.quote(narrow, safe='')}", "page"),
        ("search?q=step-05", "search?q=step-05", "page"),
        ("lineage?depth=20", f"lineage?nodeId={node}&depth=20", "walk"),
    ]
    calls: dict[str, Any] = {
        "page": lambda: timed_post(f"{api}/graphql", {"query": PAGE}),
        "walk": lambda: timed_post(f"{api}/graphql", walk_body),
    }
    for label, path, _ in routes:
        calls[label] = lambda path=path: timed_get(f"{api}/api/v1/{path}")
    p50 = p50s(calls, requests)
    references = {
        "page": "GraphQL dobjects(first: 100) with totalCount",
        "walk": "GraphQL lineage(BOTH, depth: 40), ids only",
    }
    return [(label, p50[label], references[ref], p50[ref]) for label, _, ref in routes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="lineage events (4 per run)")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    runs = max(CHAIN, args.events // 4 // CHAIN * CHAIN)
    postgres = PostgresServer()
    nats_server = NatsServer()
    nats_server.start()
    try:
        name = asyncio.run(postgres.create_database())
        url = postgres.url_for(name)
        print(f"building {runs:,} runs ({4 * runs:,} lineage events) ...", file=sys.stderr)
        asyncio.run(build(url, runs))
        server, port = serve_api(url, nats_server.url, 1)
        try:
            rows = measure(port, runs, args.requests)
        finally:
            server.terminate()
            server.wait()
    finally:
        nats_server.close()
        postgres.close()
    print(
        f"\nMarquez routes vs GraphQL: {4 * runs:,} lineage events, {runs:,} runs and jobs, "
        f"{runs + runs // CHAIN:,} datasets, one API worker, "
        f"p50 of {args.requests} sequential requests\n"
    )
    print("| Marquez route | p50 ms | reference | p50 ms | ratio |")
    print("|---|---|---|---|---|")
    for route, ms, reference, ref_ms in rows:
        print(f"| {route} | {ms:.1f} | {reference} | {ref_ms:.1f} | {ms / ref_ms:.2f}x |")


if __name__ == "__main__":
    main()
