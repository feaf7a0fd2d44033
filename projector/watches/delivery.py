"""Webhook delivery: POST each watch's deliveries in order, retried with backoff.

The queue is Postgres (lineage_read/watch_queue.py). An attempt is a POST of the body
signed with the watch's secret, 10 s at most, redirects not followed; a 2xx delivers it,
anything else is retried after 1 s, 2 s, 4 s, ... (at most LINEAGE_WATCH_BACKOFF_MAX_SECONDS)
until LINEAGE_WATCH_RETRY_SECONDS (24 h) have passed since the first attempt; then it is
`failed` and the watch's next delivery goes. Retries carry the same delivery_id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, Final

import httpx

from lineage_core.changes import backoff_seconds, delivery_body, signature
from lineage_read import watch_queue
from projector.watches import metrics
from projector.watches.session import WatchSession

log = logging.getLogger("lineage.watches")

TIMEOUT_SECONDS: Final = 10.0
LEASE_SECONDS: Final = 30.0  # past the timeout: a claim outlives its attempt
POLL_SECONDS: Final = 0.25
IN_FLIGHT: Final = 256  # attempts at once; a dead receiver holds one of them
PENDING_SECONDS: Final = 2.0  # how often lineage_watch_pending is re-read


class Deliverer:
    def __init__(
        self, session: WatchSession, *, retry_seconds: float, backoff_max_seconds: float
    ) -> None:
        self.session = session
        self.retry_seconds = retry_seconds
        self.backoff_max_seconds = backoff_max_seconds
        self.wake = asyncio.Event()
        self._slots = asyncio.Semaphore(IN_FLIGHT)
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Deliver until cancelled; a database fault ends the call (the caller retries)."""
        client = httpx.AsyncClient(
            timeout=httpx.Timeout(TIMEOUT_SECONDS),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=64),
        )
        counted = 0.0
        try:
            while True:
                if time.monotonic() - counted > PENDING_SECONDS:
                    metrics.PENDING.set(await self.session.fetchval(watch_queue.PENDING))
                    counted = time.monotonic()
                self.wake.clear()
                free = IN_FLIGHT - len(self._tasks)
                claimed = (
                    await self.session.fetch(watch_queue.CLAIM, free, LEASE_SECONDS) if free else []
                )
                for row in claimed:
                    await self._slots.acquire()
                    task = asyncio.create_task(self._attempt(client, row))
                    self._tasks.add(task)
                    task.add_done_callback(self._done)
                if not claimed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.wake.wait(), POLL_SECONDS)
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await client.aclose()

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._slots.release()
        self.wake.set()  # the watch's next delivery may go now
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery attempt failed to record", exc_info=task.exception())

    async def _attempt(self, client: httpx.AsyncClient, row: Any) -> None:
        """Attempt `row`; after a success go on with the same watch's next delivery."""
        while row is not None:
            row = await self._attempt_one(client, row)

    async def _attempt_one(self, client: httpx.AsyncClient, row: Any) -> Any:
        body = delivery_body(
            row["name"],
            row["id"],
            kind=row["kind"],
            sequence=int(row["sequence"]),
            occurred_at=row["occurred_at"],
            distance=int(row["distance"]),
            dobject_id=row["dobject_id"],
            version_id=row["version_id"],
            run_id=row["run_id"],
        )
        headers = {
            "Content-Type": "application/json",
            "X-Lineage-Delivery": str(row["id"]),
            "X-Lineage-Signature": signature(row["secret"], body),
        }
        error = await _post(client, row["url"], body, headers)
        if error is None:
            following = await self.session.fetch(
                watch_queue.DELIVERED_AND_NEXT, row["id"], LEASE_SECONDS
            )
            metrics.DELIVERIES.labels("delivered").inc()
            return following[0] if following else None
        if float(row["trying_seconds"]) >= self.retry_seconds:
            await self.session.execute(watch_queue.FAILED, row["id"], error)
            metrics.DELIVERIES.labels("failed").inc()
            log.warning("delivery %s to %s failed for good: %s", row["id"], row["url"], error)
            return None
        delay = backoff_seconds(int(row["attempts"]), self.backoff_max_seconds)
        await self.session.execute(watch_queue.RETRY, row["id"], delay, error)
        metrics.DELIVERIES.labels("retried").inc()
        return None


async def _post(
    client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]
) -> str | None:
    """None when the receiver answered 2xx, else what went wrong."""
    started = time.perf_counter()
    try:
        answer = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:1000]
    finally:
        metrics.DELIVERY_SECONDS.observe(time.perf_counter() - started)
    if 200 <= answer.status_code < 300:  # noqa: PLR2004 - the 2xx range is the rule
        return None
    return f"HTTP {answer.status_code}"
