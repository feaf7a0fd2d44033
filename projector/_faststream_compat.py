"""What the projector relies on in faststream's internals, in one place.

faststream's batch pull subscriber (`BatchPullStreamSubscriber._consume_pull`) fills a
window by calling `subscriber.subscription.fetch(batch=..., timeout=...)` again and
again, asking for the whole batch size at the start of each window, and ends the
window on `nats.errors.TimeoutError` only. projector/service.py wraps that `fetch` to
end windows cleanly and to long-poll while idle. faststream is pinned to the minor
version in pyproject.toml; tests/integration/test_faststream_compat.py fails
naming the symbol when an upgrade changes any of this.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nats.errors import TimeoutError as NatsTimeoutError

Fetch = Callable[..., Awaitable[Any]]

# the error faststream's batch loop takes for "this window is over"
WINDOW_OVER: type[Exception] = NatsTimeoutError


def wrap_fetch(subscriber: Any, wrap: Callable[[Fetch], Fetch]) -> bool:
    """Replace the started subscriber's `subscription.fetch` with `wrap(fetch)`; False if
    the subscriber has no pull subscription to wrap (then nothing changed)."""
    pull = getattr(subscriber, "subscription", None)
    fetch = getattr(pull, "fetch", None)
    if fetch is None:
        return False
    pull.fetch = wrap(fetch)  # type: ignore[union-attr]
    return True
