"""More requests than pooled connections: requests get connections in turn."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from graphql_api.context import RequestDb
from graphql_api.resources import connect_kwargs
from lineage_core.db.engine import create_engine

pytestmark = pytest.mark.integration


async def order_served(database_url: str, gated: bool, requests: int = 200) -> list[int]:
    """Requests arrive one per loop turn, as a server's would, at a pool of 2."""
    engine = create_engine(database_url)
    pool = await asyncpg.create_pool(min_size=2, max_size=2, **connect_kwargs(engine))
    gate = asyncio.Semaphore(2) if gated else None
    served: list[int] = []

    async def request(number: int) -> None:
        db = RequestDb(pool, engine, gate=gate)
        try:
            await db.rows("SELECT 1")
            served.append(number)
            for _ in range(3):  # the rest of the request, holding its connection
                await asyncio.sleep(0)
        finally:
            await db.close()

    try:
        tasks = []
        for number in range(requests):
            tasks.append(asyncio.create_task(request(number)))
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)
    finally:
        await pool.close()
        await engine.dispose()
    return served


async def test_requests_get_connections_in_turn(database_url: str) -> None:
    served = await order_served(database_url, gated=True)
    # two requests hold connections at a time and may finish in either order; none is
    # overtaken by more (without the gate, some were overtaken by over a hundred)
    assert max(abs(place - number) for place, number in enumerate(served)) <= 2
