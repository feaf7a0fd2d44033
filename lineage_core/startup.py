"""Waiting for NATS and Postgres at start, instead of exiting (docs/reference/deployment.md).

Every part (projector, API, `lineage up` with external URLs) calls `wait_until` with a
probe; the probe's failure is logged with what is awaited, then retried with a growing
delay. A JetStream cluster that is still electing its leaders answers with errors for
a few seconds: that is a normal start, and the same loop covers it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

import nats
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

log = logging.getLogger("lineage.startup")

FIRST_DELAY: Final = 0.2
MAX_DELAY: Final = 5.0
PROBE_TIMEOUT: Final = 3.0

T = TypeVar("T")


def log_to_stderr_if_unconfigured() -> None:
    """Show the "lineage" loggers (take-overs, what a start waits for) on stderr at INFO,
    unless the application configured logging itself."""
    parent = logging.getLogger("lineage")
    if not logging.getLogger().handlers and not parent.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        parent.addHandler(handler)
        parent.setLevel(logging.INFO)


def describe(exc: BaseException) -> str:
    """One line for an operator: the exception's type and message."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def wait_until(
    what: str,
    attempt: Callable[[], Awaitable[T]],
    *,
    on_failure: Callable[[BaseException], None] | None = None,
    max_delay: float = MAX_DELAY,
) -> T:
    """Run `attempt` until it succeeds; log each failure with `what` is awaited."""
    delay = FIRST_DELAY
    tries = 0
    while True:
        try:
            result = await attempt()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure here means "not there yet"
            tries += 1
            if on_failure is not None:
                on_failure(exc)
            log.warning("waiting for %s (%s); retry %d in %.1fs", what, describe(exc), tries, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay)
            continue
        if tries:
            log.info("%s is available", what)
        return result


def where(url: str) -> str:
    """A URL without its credentials, for log lines."""
    scheme, sep, rest = url.partition("://")
    return scheme + sep + rest.rsplit("@", 1)[-1] if sep else url


async def probe_postgres(url: str) -> None:
    """Raises unless a session on `url` answers a query."""
    engine = create_async_engine(url, poolclass=NullPool, connect_args={"timeout": PROBE_TIMEOUT})
    try:
        async with asyncio.timeout(2 * PROBE_TIMEOUT), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


async def probe_jetstream(servers: Sequence[str], auth: Mapping[str, Any] | None = None) -> None:
    """Raises unless one of `servers` accepts a connection and JetStream answers on it."""
    # nats-py keeps retrying a refused server inside connect() even without reconnects:
    # bound the whole attempt, so each failure is seen (and logged) here.
    nc = await asyncio.wait_for(
        nats.connect(
            servers=list(servers),
            allow_reconnect=False,
            max_reconnect_attempts=1,
            reconnect_time_wait=0.05,
            connect_timeout=PROBE_TIMEOUT,
            error_cb=_quiet,
            **(auth or {}),
        ),
        timeout=PROBE_TIMEOUT,
    )
    try:
        await nc.jetstream(timeout=PROBE_TIMEOUT).account_info()
    finally:
        await nc.close()


async def wait_for_postgres(url: str) -> None:
    await wait_until(f"Postgres at {where(url)}", lambda: probe_postgres(url))


async def wait_for_jetstream(servers: Sequence[str], auth: Mapping[str, Any] | None = None) -> None:
    """Wait until JetStream answers; `auth` are nats.connect's credential arguments."""
    names = ", ".join(where(s) for s in servers)
    await wait_until(f"NATS JetStream at {names}", lambda: probe_jetstream(servers, auth))


async def _quiet(_exc: Exception) -> None:
    # nats-py's default error callback prints a traceback per refused connection;
    # wait_until logs one line per attempt instead.
    return None
