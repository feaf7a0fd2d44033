"""The change detector: follows the raw log in stream order, behind the projection.

It reads the raw events with a sequence in (cursor, applied_sequence], so every change it
decides is already queryable, decides which changes each event caused
(lineage_core/changes.py), and in ONE transaction records the changes, writes a delivery
row for every durable watch each change reaches (lineage_read/watch_reach.py) and
advances its cursor. A crash anywhere leaves either all of that or none of it, so each
delivery is recorded exactly once and can be recomputed from the log. The cursor row is
locked for the transaction: two detectors (an old active projector cut off, a new one)
take turns, and the second finds the work done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, Final

import asyncpg

from lineage_core.changes import Change, changes_of
from lineage_core.db.watch_tables import CHANGES_CHANNEL
from lineage_read import watch_facts, watch_reach
from projector.watches import metrics
from projector.watches.session import WatchSession
from projector.watches.version_facts import facts_of

log = logging.getLogger("lineage.watches")

CHUNK: Final = 2000  # events decided per transaction
IDLE_SECONDS: Final = 1.0  # re-read the applied sequence this often without a NOTIFY
PRUNE_SECONDS: Final = 60.0


class Detector:
    """Decides the changes of applied events, one transaction per chunk."""

    def __init__(self, session: WatchSession, on_deliveries: Callable[[], None]) -> None:
        self.session = session
        self.on_deliveries = on_deliveries  # wakes the delivery worker after a commit
        self._applied = asyncio.Event()
        self._pruned_at = 0.0

    async def run(self) -> None:
        """Decide until cancelled; database faults end the call (the caller retries)."""
        while True:
            self._applied.clear()
            while await self.step():
                pass
            # a NOTIFY lost while reconnecting is covered by the timeout
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._applied.wait(), IDLE_SECONDS)

    def notified(self, *_args: Any) -> None:
        """The projector committed a batch (its NOTIFY on the applied channel)."""
        self._applied.set()

    async def step(self) -> bool:
        """Decide one chunk; True while more applied events wait."""
        started = time.perf_counter()
        async with self.session.use() as conn, conn.transaction():
            # durable before a webhook can go: a delivery row lost in a crash would be
            # recomputed under a new delivery_id, one the receiver cannot deduplicate
            await conn.execute("SET LOCAL synchronous_commit = on")
            cursor = int(await conn.fetchval(watch_facts.CURSOR_FOR_UPDATE))
            applied = int(await conn.fetchval(watch_facts.APPLIED) or 0)
            if applied <= cursor:
                return False
            rows = await conn.fetch(watch_facts.EVENTS, cursor, applied, CHUNK)
            upto = int(rows[-1]["sequence"]) if len(rows) == CHUNK else applied
            changes: list[Change] = [
                c for facts in await facts_of(conn, list(rows)) for c in changes_of(facts)
            ]
            delivered = 0
            if changes:
                await _record(conn, changes)
                if await conn.fetchval(watch_facts.ANY_WATCH):
                    depth = int(await conn.fetchval(watch_reach.MAX_WATCH_DEPTH))
                    matching = time.perf_counter()
                    bound = len(changes) * watch_reach.WATCHED_ROWS_PER_CHANGE
                    status = await conn.execute(
                        watch_reach.INSERT_DELIVERIES, cursor, upto, depth, bound
                    )
                    metrics.MATCH_SECONDS.observe(time.perf_counter() - matching)
                    delivered = int(status.split()[-1])
            await conn.execute(watch_facts.ADVANCE, upto)
            await conn.execute("SELECT pg_notify($1, $2)", CHANGES_CHANNEL, str(upto))
            if time.monotonic() - self._pruned_at > PRUNE_SECONDS:
                await conn.execute(watch_facts.PRUNE_CHANGES)
                self._pruned_at = time.monotonic()
        metrics.DETECTOR_SEQUENCE.set(upto)
        metrics.DETECT_SECONDS.observe(time.perf_counter() - started)
        metrics.CHANGES.inc(len(changes))
        if delivered:
            metrics.DELIVERIES_CREATED.inc(delivered)
            self.on_deliveries()
        return upto < applied


async def _record(conn: asyncpg.Connection, changes: list[Change]) -> None:
    await conn.execute(
        watch_facts.INSERT_CHANGES,
        [c.sequence for c in changes],
        [c.ordinal for c in changes],
        [c.kind for c in changes],
        [c.occurred_at for c in changes],
        [c.node_id for c in changes],
        [c.node_kind for c in changes],
        [c.dobject_id for c in changes],
        [c.version_id for c in changes],
        [c.run_id for c in changes],
    )
