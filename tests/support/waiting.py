"""Wait for a state instead of for a time: poll until a predicate holds.

A fixed sleep is either too short on a busy machine (a flaky test) or too long on a
quiet one (a slow suite); polling is neither.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar, overload

T = TypeVar("T")

POLL_SECONDS: Final = 0.02


def wait_for(probe: Callable[[], T], *, timeout: float = 30.0, what: str = "the condition") -> T:
    """Call `probe` until it returns a truthy value and return that value (outside an
    event loop; inside one, await `wait_until`).

    An exception from `probe` counts as "not yet" (a server still starting); after
    `timeout` seconds an AssertionError says what was awaited and the last answer.
    """
    return asyncio.run(wait_until(probe, timeout=timeout, what=what))


# Two overloads so that a coroutine probe's awaited type is what comes back (with one
# `Awaitable[T] | T` parameter mypy infers T from the coroutine itself).
@overload
async def wait_until(
    probe: Callable[[], Awaitable[T]], *, timeout: float = ..., what: str = ...
) -> T: ...
@overload
async def wait_until(probe: Callable[[], T], *, timeout: float = ..., what: str = ...) -> T: ...
async def wait_until(
    probe: Callable[[], Awaitable[T] | T], *, timeout: float = 30.0, what: str = "the condition"
) -> T:
    """`wait_for` inside an event loop: the probe may be a coroutine function, and the
    loop goes on (servers in the same loop keep running) between polls."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = probe()
            if inspect.isawaitable(value):
                value = await value
        except Exception as exc:  # noqa: BLE001 - as in wait_for
            last = exc
        else:
            if value:
                return value
            last = value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} did not hold within {timeout}s (last: {last!r})")
        await asyncio.sleep(POLL_SECONDS)
