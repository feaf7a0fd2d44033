"""Per-request state: one lazily opened database connection and the DataLoaders."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Executable
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

T = TypeVar("T")


class RequestDb:
    """The request's one connection, opened on first use and returned at the end.

    Loaders of one request may dispatch in the same tick; the lock keeps their
    statements one after another on the shared connection."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._lock = asyncio.Lock()
        self.statements = 0  # how many statements this request ran (tests count them)

    async def rows(self, stmt: Executable) -> Sequence[Row[Any]]:
        """All rows of one statement."""
        return await self.using(lambda conn: _all_rows(conn, stmt))

    async def using(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run `work(conn)` alone on the request's connection."""
        async with self._lock:
            if self._conn is None:
                self._conn = await self._engine.connect()
            self.statements += 1
            return await work(self._conn)

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()


async def _all_rows(conn: AsyncConnection, stmt: Executable) -> Sequence[Row[Any]]:
    return (await conn.execute(stmt)).all()
