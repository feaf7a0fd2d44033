"""More requests than pooled connections: requests get connections in turn."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import asyncpg
import pytest

from lineage_read.database import Database, asyncpg_dsn

pytestmark = pytest.mark.integration

_number: contextvars.ContextVar[int] = contextvars.ContextVar("number")


class RecordingPool:
    """The pool, noting which request each connection goes to, in the order given."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.given: list[int] = []

    async def acquire(self) -> Any:
        conn = await self.pool.acquire()
        self.given.append(_number.get())
        return conn

    async def release(self, conn: Any) -> None:
        await self.pool.release(conn)


async def order_served(database_url: str, requests: int = 200) -> list[int]:
    """Requests arrive one per loop turn, as a server's would, at a pool of 2."""
    dsn = asyncpg_dsn(database_url)
    pool = await asyncpg.create_pool(dsn, min_size=2, max_size=2)
    recording = RecordingPool(pool)
    database = Database(recording, dsn, sessions=3)  # type: ignore[arg-type]

    async def request(number: int) -> None:
        _number.set(number)
        db = database.request()
        try:
            await db.rows("SELECT 1")
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
    return recording.given


async def test_requests_get_connections_in_turn(database_url: str) -> None:
    given = await order_served(database_url)
    assert given == sorted(given)  # without the gate, some waited while 100 others went first
