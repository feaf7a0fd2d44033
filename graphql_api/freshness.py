"""Read-your-writes: wait until the projection has applied a stream sequence.

One LISTEN session per process (lineage_read.database) follows the projector's NOTIFY on
APPLIED_CHANNEL (payload = the applied sequence) and wakes every waiting request; no
request polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Final

import asyncpg

from lineage_core.db.tables import APPLIED_CHANNEL
from lineage_read import status
from lineage_read.database import Database

log = logging.getLogger("graphql_api")

REPLICA_POLL_SECONDS: Final = 0.01
REPLICA_FOLLOW_SECONDS: Final = 10.0


class ProjectionWatcher:
    """The highest applied sequence seen where the API reads, and waiting for a higher one.

    With a read replica (`reader`), what counts is the replica's projection_state: the
    primary's NOTIFY says the projector reached N, then the replica's row is read every
    REPLICA_POLL_SECONDS until it shows N too (WAL replay usually takes milliseconds).
    """

    def __init__(self, database: Database, reader: Database | None = None) -> None:
        self._database = database  # LISTEN here: the primary the projector writes
        self._reader = reader if reader is not None else database
        self.applied = 0
        self._changed = asyncio.Condition()
        self._listener: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._target = 0  # highest sequence the primary announced
        self._following: asyncio.Task[None] | None = None

    async def _read_applied(self) -> int:
        return (await status.applied(self._reader)).sequence

    async def _listen(self) -> None:
        """Open the LISTEN connection if it is not open (first use, or after a loss)."""
        async with self._lock:
            if self._listener is not None and not self._listener.is_closed():
                return
            self._listener = await self._database.listener(
                APPLIED_CHANNEL, self._on_notify, self._on_lost
            )
        # a notification sent before LISTEN took effect is covered by reading the row
        self._advance(await self._read_applied())

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            sequence = int(payload)
        except ValueError:
            log.warning("ignoring %s notification %r", APPLIED_CHANNEL, payload)
            return
        if self._reader is self._database:
            self._advance(sequence)
        else:
            self._follow_replica(sequence)

    def _follow_replica(self, sequence: int) -> None:
        self._target = max(self._target, sequence)
        if self._following is None or self._following.done():
            self._following = asyncio.get_running_loop().create_task(self._catch_up())

    async def _catch_up(self) -> None:
        """Read the replica's row until it shows what the primary announced (or give up
        after REPLICA_FOLLOW_SECONDS; a waiting request re-reads it when it times out)."""
        deadline = asyncio.get_running_loop().time() + REPLICA_FOLLOW_SECONDS
        while self.applied < self._target and asyncio.get_running_loop().time() < deadline:
            try:
                self._advance(await self._read_applied())
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("reading the replica's applied sequence failed: %r", exc)
            if self.applied < self._target:
                await asyncio.sleep(REPLICA_POLL_SECONDS)

    def _on_lost(self, _conn: Any) -> None:
        self._listener = None

    def _advance(self, sequence: int) -> None:
        if sequence > self.applied:
            self.applied = sequence

            async def wake() -> None:
                async with self._changed:
                    self._changed.notify_all()

            asyncio.get_running_loop().create_task(wake())

    async def wait_for(self, sequence: int, timeout: float) -> bool:
        """True once `sequence` is applied; False if it was not within `timeout` seconds."""
        if self.applied >= sequence:
            return True
        await self._listen()
        try:
            async with asyncio.timeout(timeout):
                async with self._changed:
                    await self._changed.wait_for(lambda: self.applied >= sequence)
        except TimeoutError:
            # the listener may have been lost meanwhile: the row is the truth
            self._advance(await self._read_applied())
            return self.applied >= sequence
        return True

    async def close(self) -> None:
        if self._following is not None:
            self._following.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._following
        if self._listener is not None:
            conn, self._listener = self._listener, None
            with contextlib.suppress(Exception):
                await conn.close()
