"""The rate of each caller's requests: a token bucket per key (the token's name, or the
client's address for requests without a valid token)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from graphql_api.ratelimit import MAX_KEYS


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
