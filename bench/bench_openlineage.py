"""OpenLineage events/s accepted over HTTP (one API worker), single and batched, against
the SDK's direct path (the same lineage events published to JetStream with acks).

Needs a running service (`lineage up`; found like the SDK finds it). Each OpenLineage
event is a COMPLETE with one input and one output: 3 lineage events after mapping.

    python bench/bench_openlineage.py [--events 2000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from typing import Any

import httpx
import nats

from lineage_core import subjects
from lineage_core.events import encode
from lineage_core.settings import Settings
from openlineage_api.mapping import map_event
from openlineage_api.models import RunEvent


def ol_event(i: int) -> dict[str, Any]:
    return {
        "eventType": "COMPLETE",
        "eventTime": "2026-11-25T00:00:00Z",
        "producer": "https://example.org/bench",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "bench", "name": f"job-{i % 50}"},
        "inputs": [{"namespace": "s3://bench", "name": f"in/{i}.parquet"}],
        "outputs": [{"namespace": "s3://bench", "name": f"out/{i}.parquet"}],
    }


async def post_all(url: str, bodies: list[Any], concurrency: int, headers: dict[str, str]) -> float:
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            answer = await client.post(url, json=queue.get_nowait(), headers=headers)
            answer.raise_for_status()

    async with httpx.AsyncClient(timeout=60) as client:
        start = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return time.perf_counter() - start


async def direct(settings: Settings, events: list[dict[str, Any]]) -> float:
    lineage = [e for doc in events for e in map_event(RunEvent.model_validate(doc))]
    nc = await nats.connect(servers=settings.nats_servers())
    js = nc.jetstream()
    start = time.perf_counter()
    for chunk in range(0, len(lineage), 500):
        await asyncio.gather(
            *(
                js.publish(
                    subjects.subject_for(e.event_type),
                    encode(e),
                    headers={subjects.MSG_ID_HEADER: str(e.event_id)},
                )
                for e in lineage[chunk : chunk + 500]
            )
        )
    seconds = time.perf_counter() - start
    await nc.close()
    return seconds


async def main(n: int, concurrency: int) -> None:
    settings = Settings()
    url = f"{settings.resolved_api_url()}/api/v1/lineage"
    headers = {"Authorization": f"Bearer {settings.api_token}"} if settings.api_token else {}
    single = [ol_event(i) for i in range(n)]
    batched = [[ol_event(i) for i in range(j, j + 100)] for j in range(0, n, 100)]
    t_single = await post_all(url, single, concurrency, headers)
    t_batch = await post_all(url, batched, concurrency, headers)
    t_direct = await direct(settings, [ol_event(i) for i in range(n)])
    rows = [
        ("HTTP, one OpenLineage event per request", n / t_single),
        ("HTTP, batches of 100 per request", n / t_batch),
        ("direct JetStream publish of the mapped events", n / t_direct),
    ]
    print(
        f"\nOpenLineage ingest: {n} events x 3 lineage events, {concurrency} clients, API {url}\n"
    )
    print("| path | OpenLineage events/s | lineage events/s |")
    print("|---|---|---|")
    for name, rate in rows:
        print(f"| {name} | {rate:,.0f} | {3 * rate:,.0f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.concurrency))
