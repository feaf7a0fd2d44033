"""Read-your-writes: wait until the projection has applied a stream sequence.

One LISTEN connection per process follows the projector's NOTIFY on APPLIED_CHANNEL
(payload = the applied sequence) and wakes every waiting request; no request polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from graphql_api.resources import connect_kwargs
from lineage_core.db.tables import APPLIED_CHANNEL, projection_state

log = logging.getLogger("graphql_api")


class ProjectionWatcher:
    """The highest applied sequence seen, and waiting for a higher one."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.applied = 0
        self._changed = asyncio.Condition()
        self._listener: asyncpg.Connection | None = None  # type: ignore[type-arg]
        self._lock = asyncio.Lock()

    async def _read_applied(self) -> int:
        async with self._engine.connect() as conn:
            value = (
                await conn.execute(
                    select(projection_state.c.applied_sequence).where(projection_state.c.id == 1)
                )
            ).scalar()
        return int(value or 0)

    async def _listen(self) -> None:
        """Open the LISTEN connection if it is not open (first use, or after a loss)."""
        async with self._lock:
            if self._listener is not None and not self._listener.is_closed():
                return
            conn = await asyncpg.connect(**connect_kwargs(self._engine))
            await conn.add_listener(APPLIED_CHANNEL, self._on_notify)
            conn.add_termination_listener(self._on_lost)
            self._listener = conn
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
