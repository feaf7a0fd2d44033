"""Single active projector: a Postgres session advisory lock, and the connection holding it.

Batches are committed on the connection that holds the lock, which fences a process
that lost it: when that session dies (Postgres restart, network cut, `kill -9`), the lock
goes with it, and this process may commit again only after taking the lock anew.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Final

import asyncpg

from lineage_core.db.metadata import PROJECTION_SCHEMA
from projector.store import REBUILD_LOCK_KEY, applied_sequence

log = logging.getLogger("lineage.projector")

LEADER_LOCK_KEY: Final = 7416003
# Lets an operator see which process is active: pg_locks joined with pg_stat_activity.
APP_NAME: Final = f"lineage-projector pid={os.getpid()}"
STANDBY_POLL_SECONDS: Final = 0.5
WATCH_SECONDS: Final = 1.0


class LostLeadership(Exception):
    """Another projector became active while this one was cut off from Postgres."""


class Leadership:
    """Election of the active projector among processes sharing one database."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.conn: asyncpg.Connection | None = None
        # Serialises use of the one connection (batches and the watchdog's ping).
        self.lock = asyncio.Lock()

    def holds_lock(self) -> bool:
        return self.conn is not None and not self.conn.is_closed()

    async def acquire(self) -> None:
        """Wait until this process holds the lock (retrying database faults)."""
        delay = 0.1
        waiting_logged = False
        while not self.holds_lock():
            try:
                if await self._try_take():
                    return
                if not waiting_logged:
                    log.info("another projector is active; standing by")
                    waiting_logged = True
                await asyncio.sleep(STANDBY_POLL_SECONDS)
                delay = 0.1
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("database unreachable (%r); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _try_take(self) -> bool:
        conn = await asyncpg.connect(self.dsn, server_settings={"application_name": APP_NAME})
        try:
            taken = await conn.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK_KEY)
        except BaseException:
            await conn.close()
            raise
        if not taken:
            await conn.close()
            return False
        self.conn = conn
        return True

    async def connection(self) -> asyncpg.Connection:
        """The lock-holding connection; after a fault, re-take the lock or raise LostLeadership."""
        if self.conn is not None and not self.conn.is_closed():
            return self.conn
        self.conn = None
        if not await self._try_take():
            raise LostLeadership("another projector holds the lock")
        log.info("reconnected to Postgres and still the active projector")
        if self.conn is None:  # _try_take keeps the connection whenever it takes the lock
            raise LostLeadership("the lock was taken without a connection")
        return self.conn

    async def watermark_for_stream(self, stream_last_sequence: int) -> int:
        """The tracking row's sequence; reset to 0 if the stream was re-created behind it.

        After a reset every message is delivered again and de-duplicated by event_id.
        """
        conn = await self.connection()
        async with self.lock, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", REBUILD_LOCK_KEY)
            watermark = await applied_sequence(conn)
            if watermark > stream_last_sequence:
                log.warning(
                    "stream LINEAGE ends at %s but the projection applied %s: the stream was "
                    "re-created; re-reading it from the start (duplicates skipped by event_id)",
                    stream_last_sequence,
                    watermark,
                )
                await conn.execute(
                    f"UPDATE {PROJECTION_SCHEMA}.projection_state SET applied_sequence = 0 "
                    "WHERE id = 1"
                )
                watermark = 0
        return watermark

    async def watch(self, stop: asyncio.Event) -> None:
        """Set `stop` when the lock-holding session dies while idle."""
        while not stop.is_set():
            await asyncio.sleep(WATCH_SECONDS)
            if self.lock.locked():
                continue  # a batch is using the connection; it notices faults itself
            try:
                async with self.lock:
                    if self.conn is None or self.conn.is_closed():
                        raise ConnectionError("lock connection closed")
                    await self.conn.fetchval("SELECT 1", timeout=5)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning("lost the projector lock's session: %r", exc)
                await self._drop()
                stop.set()

    async def _drop(self) -> None:
        if self.conn is not None:
            self.conn.terminate()
        self.conn = None

    async def release(self) -> None:
        """Give up the lock (on shutdown): closing the session releases it."""
        conn, self.conn = self.conn, None
        if conn is not None and not conn.is_closed():
            try:
                await asyncio.wait_for(conn.close(), timeout=2)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                conn.terminate()
