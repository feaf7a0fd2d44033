"""The API's database sessions: one asyncpg pool per process, bounded by
`LINEAGE_DB_POOL_SIZE` (docs/reference/deployment.md), and the request's one connection.

Every session of the API comes from here: `sessions - 1` pooled connections for
requests and every other read or write (status, readiness, OpenLineage ingest,
subscriptions' lookups), and one LISTEN session for read-your-writes waits
(freshness.py), opened on first use. A request beyond the pool queues at the gate
(first come, first served); nothing fails for want of a connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final

import asyncpg

from lineage_read.errors import TooComplex

LISTEN_SESSIONS: Final = 1  # freshness.ProjectionWatcher's one LISTEN connection
MIN_SESSIONS: Final = LISTEN_SESSIONS + 1
APP_NAME: Final = "lineage-api"  # pg_stat_activity.application_name of every session

Record = asyncpg.Record


@dataclass
class QueryStats:
    """Statements run by the API since start (tests count them to prove loaders batch)."""

    statements: int = 0


def asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy-style `postgresql+asyncpg://` URL as a DSN asyncpg itself accepts."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


class Database:
    """The process's one pool, `sessions - 1` connections, and its LISTEN session.

    Access to the pool goes through `gate`, a semaphore as big as the pool: asyncpg's
    own queue lets a newcomer take a connection that was being handed to a waiter,
    which under load starves some requests for seconds; the semaphore serves them in
    order of arrival."""

    def __init__(self, pool: asyncpg.Pool, dsn: str, sessions: int) -> None:
        self.pool = pool
        self.dsn = dsn
        self.sessions = sessions
        self.gate = asyncio.Semaphore(sessions - LISTEN_SESSIONS)

    @classmethod
    async def open(cls, url: str, *, sessions: int, statement_timeout_ms: int) -> Database:
        """The pool for `url`; `sessions` (>= 2) bounds every session it will open."""
        if sessions < MIN_SESSIONS:
            raise ValueError(
                f"the API needs at least {MIN_SESSIONS} database sessions "
                f"(one pooled, one LISTEN), got {sessions}"
            )
        dsn = asyncpg_dsn(url)
        size = sessions - LISTEN_SESSIONS
        pool = await asyncpg.create_pool(
            dsn,
            min_size=min(2, size),
            max_size=size,
            reset=_keep_session,
            server_settings={
                "statement_timeout": str(statement_timeout_ms),
                "application_name": APP_NAME,
                # the API's statements are short: compiling one with LLVM (Postgres' JIT,
                # on past a cost estimate that lookups over JSON easily pass) took ~90 ms
                # for a 5 ms query (bench/bench_marquez.py)
                "jit": "off",
            },
        )
        return cls(pool, dsn, sessions)

    async def acquire(self) -> Any:
        """A pooled connection, in turn; give it back with `release`."""
        await self.gate.acquire()
        try:
            return await self.pool.acquire()
        except BaseException:
            self.gate.release()
            raise

    async def release(self, conn: Any) -> None:
        try:
            await self.pool.release(conn)
        finally:
            self.gate.release()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        """A pooled connection for the duration of the block."""
        conn = await self.acquire()
        try:
            yield conn
        finally:
            await self.release(conn)

    @asynccontextmanager
    async def unlimited(self) -> AsyncIterator[Any]:
        """A pooled connection in a transaction without the statement timeout: the
        timeout bounds what clients ask for, not the API's own reads and writes
        (status, readiness, OpenLineage ingest)."""
        async with self.connection() as conn, conn.transaction():
            await conn.execute("SET LOCAL statement_timeout = 0")
            yield conn

    async def fetch(self, sql: str, *params: Any) -> list[Record]:
        """All rows of one statement of the API's own (see `unlimited`)."""
        async with self.unlimited() as conn:
            return await conn.fetch(sql, *params)  # type: ignore[no-any-return]

    async def listener(
        self, channel: str, on_notify: Callable[..., None], on_lost: Callable[[Any], None]
    ) -> asyncpg.Connection:
        """The LISTEN session (the caller keeps at most one open and closes it)."""
        conn = await asyncpg.connect(
            self.dsn, server_settings={"application_name": f"{APP_NAME} listen"}
        )
        await conn.add_listener(channel, on_notify)
        conn.add_termination_listener(on_lost)
        return conn

    def request(self, stats: QueryStats | None = None) -> RequestDb:
        """The connection of one request (acquired on first use)."""
        return RequestDb(self, stats)

    async def close(self) -> None:
        await self.pool.close()


class RequestDb:
    """The request's one connection, acquired on first use and released at the end.

    Loaders of one request may dispatch in the same tick; the lock keeps their
    statements one after another on the shared connection."""

    def __init__(self, database: Database, stats: QueryStats | None = None) -> None:
        self._database = database
        self._conn: Any = None
        self._lock = asyncio.Lock()
        self.stats = stats or QueryStats()

    async def rows(self, sql: str, *params: Any) -> Sequence[Record]:
        """All rows of one statement (asyncpg records, prepared and cached by SQL text)."""
        async with self._lock:
            if self._conn is None:
                self._conn = await self._database.acquire()
            self.stats.statements += 1
            try:
                try:
                    return await self._conn.fetch(sql, *params)  # type: ignore[no-any-return]
                except asyncpg.OutdatedSchemaCacheError:
                    # a migration changed a table whose rows a statement reads as one
                    # column (pages.py); asyncpg reloads the type on this error: again
                    return await self._conn.fetch(sql, *params)  # type: ignore[no-any-return]
            except asyncpg.QueryCanceledError as error:  # the pool's statement_timeout
                raise TooComplex(
                    "the query ran past the statement timeout; ask for less (depth, first, filters)"
                ) from error

    async def rows_planned_once(self, sql: str, *params: Any) -> Sequence[Record]:
        """All rows of one statement whose plan does not depend on its parameters' values
        and takes long to make: run with the prepared statement's generic plan, made on
        first use and kept, where Postgres would plan it again for each call's values."""
        async with self._lock:
            if self._conn is None:
                self._conn = await self._database.acquire()
            self.stats.statements += 1
            try:
                async with self._conn.transaction():
                    # LOCAL: the pooled session keeps its settings (see _keep_session)
                    await self._conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
                    return await self._conn.fetch(sql, *params)  # type: ignore[no-any-return]
            except asyncpg.QueryCanceledError as error:  # the pool's statement_timeout
                raise TooComplex(
                    "the query ran past the statement timeout; ask for less (depth, first, filters)"
                ) from error

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await self._database.release(conn)


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """Pool release without asyncpg's default reset query (a round trip per request):
    the pool's users only read and insert; none changes session state (no SET, LISTEN
    or locks: the LISTEN session is not pooled)."""
