"""`lineageChanges`: the changes that touch one root's lineage, live (docs/reference/watches.md).

The change detector (run by the active projector) records every change in
public.lineage_changes once its event is applied, and advances its cursor in the same
transaction. Each API process has one ChangeFeed: while some subscription is open it
reads the cursor every POLL_SECONDS, then the new changes and, in one recursive walk
from the changed nodes (lineage_read/watch_reach.py), which subscribed roots each change
reaches and at what distance; each subscription gets the changes that reach its root
within its direction and depth, once, in sequence order. A subscription sees the
changes of the events applied after it started (the detector may record those of
earlier events later: they are not its own).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Final

from lineage_read import watch_live
from lineage_read.database import Database

log = logging.getLogger("graphql_api")

POLL_SECONDS: Final = 0.1
RANGE: Final = 20_000  # sequences read per round, so a long pause is caught up in steps
QUEUE_SIZE: Final = 1000
MAX_DEPTH: Final = 50
# the walk from a changed node finding a root: 'D' (downstream) finds UPSTREAM roots
_FOUND_BY: Final = {"UPSTREAM": {"D"}, "DOWNSTREAM": {"U"}, "BOTH": {"U", "D"}}


@dataclass(frozen=True, slots=True)
class Change:
    kind: str
    sequence: int
    occurred_at: Any
    distance: int
    dobject_id: uuid.UUID | None
    version_id: uuid.UUID | None
    run_id: uuid.UUID | None


@dataclass(eq=False)
class ChangeListener:
    root_id: uuid.UUID
    root_kind: str
    direction: str
    depth: int
    kinds: frozenset[str]
    after: int = 0  # the applied sequence when it started: earlier events are not its own
    queue: asyncio.Queue[Change | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    dropped: bool = False

    def offer(self, change: Change) -> None:
        if self.dropped:
            return
        try:
            self.queue.put_nowait(change)
        except asyncio.QueueFull:
            self.dropped = True  # the subscription ends with SLOW_CONSUMER
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
            self.queue.put_nowait(None)


class ChangeFeed:
    """The process's one reader of recorded changes, shared by its subscriptions."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._listeners: set[ChangeListener] = set()
        self._position = 0
        self._task: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()

    async def root_exists(self, kind: str, root: uuid.UUID) -> bool:
        return bool((await self._db.fetch(watch_live.ROOT_EXISTS[kind], root))[0][0])

    async def listen(self, listener: ChangeListener) -> None:
        listener.after = int((await self._db.fetch(watch_live.APPLIED))[0][0] or 0)
        async with self._starting:  # subscriptions starting at once start one reader
            if self._task is None or self._task.done():
                self._position = await self._detected()
                self._task = asyncio.get_running_loop().create_task(self._follow())
            self._listeners.add(listener)

    def leave(self, listener: ChangeListener) -> None:
        self._listeners.discard(listener)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _detected(self) -> int:
        return int((await self._db.fetch(watch_live.DETECTED))[0][0] or 0)

    async def _follow(self) -> None:
        while self._listeners:
            try:
                upto = min(await self._detected(), self._position + RANGE)
                if upto > self._position:
                    await self._dispatch(self._position, upto)
                    self._position = upto
                    continue
            except Exception:
                log.exception("reading lineage changes failed; retrying")
            await asyncio.sleep(POLL_SECONDS)
        self._task = None

    async def _dispatch(self, after: int, upto: int) -> None:
        listeners = list(self._listeners)
        rows = await self._db.fetch(watch_live.CHANGES, after, upto)
        if not rows or not listeners:
            return
        roots = sorted({x.root_id for x in listeners})
        depth = max(x.depth for x in listeners)
        reached: dict[tuple[int, int], list[tuple[uuid.UUID, str, str, int]]] = {}
        for r in await self._db.fetch(watch_live.REACHED_ROOTS, after, upto, depth, roots):
            key = (int(r["seq"]), int(r["ordinal"]))
            reached.setdefault(key, []).append((r["id"], r["kind"], r["dir"], int(r["distance"])))
        for row in rows:
            hits = reached.get((int(row["sequence"]), int(row["ordinal"])))
            if hits:
                for listener in listeners:
                    _offer(listener, row, hits)


def _offer(listener: ChangeListener, row: Any, hits: list[tuple[uuid.UUID, str, str, int]]) -> None:
    if row["kind"] not in listener.kinds or int(row["sequence"]) <= listener.after:
        return
    wanted = _FOUND_BY[listener.direction]
    distances = [
        d
        for root, kind, walk, d in hits
        if root == listener.root_id and kind == listener.root_kind and walk in wanted
    ]
    if distances and min(distances) <= listener.depth:
        listener.offer(
            Change(
                kind=row["kind"],
                sequence=int(row["sequence"]),
                occurred_at=row["occurred_at"],
                distance=min(distances),
                dobject_id=row["dobject_id"],
                version_id=row["version_id"],
                run_id=row["run_id"],
            )
        )
