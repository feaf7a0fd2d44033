"""A database session of the watches: the detector has one, the delivery worker another."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg

from lineage_core.db.tables import APPLIED_CHANNEL

# "lineage-projector": the session belongs to the projector's part of the budget
APP_NAME = "lineage-projector watches"


class WatchSession:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.conn: asyncpg.Connection | None = None
        self.lock = asyncio.Lock()

    async def open(self, on_applied: Callable[..., None] | None = None) -> None:
        # A delivery's state changes (claimed, delivered, retried) commit without waiting
        # for the WAL flush: one flush each was most of a delivery's cost, and one lost in
        # a Postgres crash only sends that delivery again, with its delivery_id. The
        # detector's transactions wait for the flush (SET LOCAL in detector.py).
        # No JIT: the membership walk's cost estimate (a recursive query) is far past
        # jit_above_cost, and compiling it with LLVM took seconds per detector chunk for
        # a statement that runs in milliseconds (bench/bench_watches.py).
        self.conn = await asyncpg.connect(
            self.dsn,
            server_settings={
                "application_name": APP_NAME,
                "synchronous_commit": "off",
                "jit": "off",
            },
        )
        if on_applied is not None:  # the projector NOTIFYs its applied sequence per commit
            await self.conn.add_listener(APPLIED_CHANNEL, on_applied)

    @contextlib.asynccontextmanager
    async def use(self) -> AsyncIterator[asyncpg.Connection]:
        """The connection, for one statement or transaction at a time."""
        async with self.lock:
            if self.conn is None or self.conn.is_closed():
                raise ConnectionError("the watches' session is closed")
            yield self.conn

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        async with self.use() as conn:
            return list(await conn.fetch(sql, *args))

    async def fetchval(self, sql: str, *args: Any) -> Any:
        async with self.use() as conn:
            return await conn.fetchval(sql, *args)

    async def execute(self, sql: str, *args: Any) -> str:
        async with self.use() as conn:
            return await conn.execute(sql, *args)

    async def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None and not conn.is_closed():
            try:
                await asyncio.wait_for(conn.close(), timeout=2)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                conn.terminate()
