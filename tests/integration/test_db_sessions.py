"""LINEAGE_DB_POOL_SIZE bounds every database session of each part (docs/reference/deployment.md):
pools, listeners and locks together, under load, and a bounded pool queues requests
rather than failing them.

Both parts run in this process as `lineage up` runs them (the projector's session comes
out of the budget, the API has the rest), while 40 clients query the API and the
projector applies a stream of events. A sampler counts the sessions of the test's
database in pg_stat_activity all along."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from typing import Any, Final

import asyncpg
import httpx
import pytest

from lineage_cli.serve_commands import api_settings
from lineage_core.settings import Settings
from lineage_read.database import asyncpg_dsn
from projector.service import run_projector
from tests.support.api import api_client
from tests.support.projector import connect_js, publish, wait_applied
from tests.support.workload import run_events

pytestmark = pytest.mark.integration

BUDGET: Final = 5  # the projector's 3 (batches, watch detector, delivery) and the API's 2
CLIENTS: Final = 40
REQUESTS_PER_CLIENT: Final = 6
RUNS: Final = 300
SAMPLER: Final = "test-session-sampler"
QUERIES: Final = (
    (
        "{ runs(first: 50) { totalCount nodes { id transform { name } inputs { name } "
        "outputs { name targets { id } } } } }"
    ),
    "{ dobjects(first: 50) { nodes { name source { id upstreamRuns { id } } } } }",
    "{ projectionStatus { appliedSequence lag } }",
)


def part_of(application_name: str) -> str:
    if application_name.startswith("lineage-projector"):
        return "projector"
    return "api"  # the API names its sessions lineage-api; older code named none


async def sample(dsn: str, database: str, stop: asyncio.Event, most: Counter[str]) -> None:
    """The most sessions of each part seen at once, until `stop` is set."""
    conn = await asyncpg.connect(dsn, server_settings={"application_name": SAMPLER})
    try:
        while not stop.is_set():
            rows = await conn.fetch(
                "SELECT application_name FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
            )
            now = Counter(part_of(r["application_name"]) for r in rows)
            now["total"] = len(rows)
            for part, count in now.items():
                most[part] = max(most[part], count)
            await asyncio.sleep(0.005)  # the sampling period
    finally:
        await conn.close()


async def client_session(
    client: httpx.AsyncClient, number: int, published: list[int], answers: list[Any]
) -> None:
    for i in range(REQUESTS_PER_CLIENT):
        headers = {}
        if (number + i) % 5 == 0:  # read-your-writes: waits on the LISTEN session
            headers["x-lineage-min-sequence"] = str(published[-1])
        response = await client.post(
            "/graphql", json={"query": QUERIES[(number + i) % len(QUERIES)]}, headers=headers
        )
        answers.append((response.status_code, response.json()))


async def test_sessions_stay_within_the_pool_size_under_load(
    database_url: str, nats_url: str
) -> None:
    settings = Settings(database_url=database_url, nats_url=nats_url, db_pool_size=BUDGET)
    dsn = asyncpg_dsn(database_url)
    database = dsn.rsplit("/", 1)[1].split("?", 1)[0]
    nc, js = await connect_js(nats_url)
    published = [await publish(js, run_events(0))]
    projector = asyncio.create_task(run_projector(settings))
    stop = asyncio.Event()
    most: Counter[str] = Counter()
    sampler = asyncio.create_task(sample(dsn, database, stop, most))
    answers: list[Any] = []
    try:
        api = api_settings(settings, with_projector=True)
        async with api_client(database_url, nats_url, db_pool_size=api.db_pool_size) as (
            client,
            _,
        ):

            async def keep_publishing() -> None:
                for index in range(1, RUNS):  # one run at a time, all through the load
                    published.append(await publish(js, run_events(index)))  # noqa: PERF401

            await asyncio.gather(
                keep_publishing(),
                *(client_session(client, n, published, answers) for n in range(CLIENTS)),
            )
            stop.set()
            await sampler
            await wait_applied(database_url, published[-1])
    finally:
        stop.set()
        projector.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await projector
        await nc.close()
    failed = [a for a in answers if a[0] != 200 or "errors" in a[1]]
    assert len(answers) == CLIENTS * REQUESTS_PER_CLIENT
    assert failed == [], failed[:3]
    print(f"most sessions at once with LINEAGE_DB_POOL_SIZE={BUDGET}: {dict(most)}")  # noqa: T201
    assert most["projector"] >= 1, most  # the sampler saw the parts at work
    assert most["api"] >= 2, most
    assert most["total"] <= BUDGET, most  # `lineage up`: both parts within one budget
