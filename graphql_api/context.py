"""Per-request state: one lazily acquired asyncpg connection, shared by the loaders."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from graphql_api.errors import QUERY_TOO_COMPLEX, LineageError

T = TypeVar("T")


@dataclass
class QueryStats:
    """Statements run by the API since start (tests count them to prove loaders batch)."""

    statements: int = 0


class RequestDb:
    """The request's one connection, acquired on first use and released at the end.

    Loaders of one request may dispatch in the same tick; the lock keeps their
    statements one after another on the shared connection. With more requests than
    connections, `gate` (a semaphore as big as the pool) queues them first come, first
    served: the pool's own queue lets a newcomer take a connection that was being handed
    to a waiter, which under load starves some requests for seconds."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        engine: AsyncEngine,
        stats: QueryStats | None = None,
        gate: asyncio.Semaphore | None = None,
    ) -> None:
        self._pool = pool
        self._engine = engine
        self._gate = gate
        self._conn: Any = None
        self._lock = asyncio.Lock()
        self.stats = stats or QueryStats()

    async def rows(self, sql: str, *params: Any) -> Sequence[Any]:
        """All rows of one statement (asyncpg records, prepared and cached by SQL text)."""
        async with self._lock:
            if self._conn is None:
                self._conn = await self._acquire()
            self.stats.statements += 1
            try:
                return await self._conn.fetch(sql, *params)  # type: ignore[no-any-return]
            except asyncpg.QueryCanceledError as error:  # statement_timeout (resources.py)
                raise LineageError(
                    QUERY_TOO_COMPLEX,
                    "the query ran past the statement "
                    "timeout; ask for less (depth, first, filters)",
                ) from error

    async def _acquire(self) -> Any:
        if self._gate is None:
            return await self._pool.acquire()
        await self._gate.acquire()
        try:
            return await self._pool.acquire()
        except BaseException:
            self._gate.release()
            raise

    async def with_sqlalchemy(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run `work` on a SQLAlchemy connection (for query code written against it)."""
        self.stats.statements += 1
        async with self._engine.connect() as conn:
            return await work(conn)

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                await self._pool.release(conn)
            finally:
                if self._gate is not None:
                    self._gate.release()
