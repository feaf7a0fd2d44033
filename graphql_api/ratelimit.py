"""Per-caller limits: a token bucket of requests and a count of open WebSockets.

The key is the token's name, or the client's address for requests without a valid
token, so one noisy caller is slowed down without slowing the others.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Final

MAX_KEYS: Final = 100_000  # forget idle buckets past this many callers


class RateLimiter:
    """`rate` requests a second per key, in bursts of up to `burst`; rate 0 turns it off."""

    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def retry_after(self, key: str) -> float:
        """0 when the request may go ahead (and is counted), else seconds to wait."""
        if self.rate <= 0:
            return 0.0
        now = self._clock()
        tokens, at = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens >= 1.0:
            self._remember(key, (tokens - 1.0, now))
            return 0.0
        self._remember(key, (tokens, now))
        return (1.0 - tokens) / self.rate

    def _remember(self, key: str, bucket: tuple[float, float]) -> None:
        if key not in self._buckets and len(self._buckets) >= MAX_KEYS:
            self._forget_full()
        self._buckets[key] = bucket

    def _forget_full(self) -> None:
        """Drop the buckets that have refilled (they carry no state worth keeping)."""
        now = self._clock()
        full = [
            k for k, (t, at) in self._buckets.items() if t + (now - at) * self.rate >= self.burst
        ]
        for key in full or list(self._buckets)[: MAX_KEYS // 10]:
            del self._buckets[key]


def retry_after_header(seconds: float) -> bytes:
    """Retry-After takes whole seconds; round up so a client that obeys it is let in."""
    return str(max(1, math.ceil(seconds))).encode()


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
