"""Read-your-writes: wait until the projection has applied a stream sequence.

One LISTEN session per process (graphql_api.database) follows the projector's NOTIFY on APPLIED_CHANNEL
(payload = the applied sequence) and wakes every waiting request; no request polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg

from graphql_api.dao import status
from graphql_api.database import Database
from lineage_core.db.tables import APPLIED_CHANNEL

log = logging.getLogger("graphql_api")


class ProjectionWatcher:
    """The highest applied sequence seen, and waiting for a higher one."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self.applied = 0
        self._changed = asyncio.Condition()
        self._listener: asyncpg.Connection | None = None  # type: ignore[type-arg]
        self._lock = asyncio.Lock()

    async def _read_applied(self) -> int:
        return (await status.applied(self._database)).sequence

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
            self._advance(int(payload))
        except ValueError:
            log.warning("ignoring %s notification %r", APPLIED_CHANNEL, payload)

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
            return True
        except TimeoutError:
            # the listener may have been lost meanwhile: the row is the truth
            self._advance(await self._read_applied())
            return self.applied >= sequence

    async def close(self) -> None:
        if self._listener is not None:
            conn, self._listener = self._listener, None
            with contextlib.suppress(Exception):
                await conn.close()
