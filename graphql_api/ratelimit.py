"""Per-caller limits the GraphQL face keeps or charges: a count of open sockets and
subscriptions, parse time (charged here, checked by the HTTP edge's rate limit) and what
subscriptions may deliver.

The key is the token's name, or the client's address for requests without a valid
token, so one noisy caller is slowed down without slowing the others.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Final

MAX_KEYS: Final = 100_000  # forget idle buckets past this many callers
# scope key: whose budget the request or WebSocket spends (set by the HTTP edge: at the
# request, and for a WebSocket once connection_init names the token)
CALLER_KEY: Final = "lineage.caller"


class ConnectionCounter:
    """Open WebSockets per key, refused past `limit` (0: no limit)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: dict[str, int] = {}

    def acquire(self, key: str) -> bool:
        held = self._open.get(key, 0)
        if self.limit > 0 and held >= self.limit:
            return False
        self._open[key] = held + 1
        return True

    def release(self, key: str) -> None:
        held = self._open.get(key, 0) - 1
        if held > 0:
            self._open[key] = held
        else:
            self._open.pop(key, None)

    def count(self, key: str) -> int:
        return self._open.get(key, 0)


class CpuBudget:
    """Seconds of the event loop a caller may spend parsing and validating documents, per
    second (`share`), saved up to `burst` seconds; share 0 turns it off.

    A request counts against the caller's rate whatever it asks; a document costs what
    its parsing and validation take. One 10,000-token alias bomb holds the event loop
    for ~0.1 s, so a rate of requests alone cannot keep a few such callers from
    starving everyone else. Cached documents (the same query text again) cost nothing."""

    def __init__(
        self, share: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.share = share
        self.burst = burst
        self._clock = clock
        self._left: dict[str, tuple[float, float]] = {}  # key -> (seconds left, at)

    def _now_left(self, key: str) -> float:
        left, at = self._left.get(key, (self.burst, self._clock()))
        return min(self.burst, left + (self._clock() - at) * self.share)

    def retry_after(self, key: str) -> float:
        """0 while the caller has budget left, else seconds until it has again."""
        if self.share <= 0:
            return 0.0
        left = self._now_left(key)
        return 0.0 if left > 0 else (-left + 1e-3) / self.share

    def charge(self, key: str, seconds: float) -> None:
        if self.share <= 0:
            return
        if key not in self._left and len(self._left) >= MAX_KEYS:
            self._left.clear()  # forgetting callers only ever gives them more budget
        self._left[key] = (self._now_left(key) - seconds, self._clock())


# The caller of the request being handled, for charging parse and validation time
# (set by the HTTP edge's rate limit; read by graphql_api.schema's document cache).
CALLER: ContextVar[tuple[CpuBudget, str] | None] = ContextVar("lineage_caller", default=None)


@contextmanager
def charged_to_caller() -> Iterator[None]:
    """Charge the time of the block to the current request's caller (if any)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        caller = CALLER.get()
        if caller is not None:
            caller[0].charge(caller[1], time.perf_counter() - started)


class EventPacer:
    """At most `rate` events a second per key, in bursts of up to `burst`, as delays: each
    event reserves the key's next free slot and waits for it (one wakeup per event, however
    many subscriptions share the key). Rate 0 turns it off."""

    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.allowance = max(burst, 1.0) / rate if rate > 0 else 0.0
        self._clock = clock
        self._next: dict[str, float] = {}  # key -> when its next slot is free

    def delay(self, key: str) -> float:
        """Seconds the key's next event must wait (0: now); the slot is taken."""
        if self.rate <= 0:
            return 0.0
        now = self._clock()
        due = max(self._next.get(key, now), now)
        if key not in self._next and len(self._next) >= MAX_KEYS:
            # keys whose slots are all free again carry nothing worth keeping
            self._next = {k: at for k, at in self._next.items() if at > now}
        self._next[key] = due + 1.0 / self.rate
        return max(0.0, due - now - self.allowance)

    async def pace(self, key: str) -> None:
        wait = self.delay(key)
        if wait > 0:
            await asyncio.sleep(wait)


class SubscriptionLimits:
    """What one caller's subscriptions may cost, across all its sockets: `events_per_second`
    events delivered in all (a second's worth at once; past it each subscription waits its
    turn while its queue fills, until it is dropped as a slow consumer) and `max_open`
    subscriptions open at once. 0 turns either off."""

    def __init__(self, events_per_second: float, max_open: int) -> None:
        self.events = EventPacer(events_per_second, events_per_second)
        self.open = ConnectionCounter(max_open)
