"""Webhook delivery: POST each watch's deliveries in order, retried with backoff.

The queue is Postgres (lineage_read/watch_queue.py). An attempt is a POST of the body
signed with the watch's secret, 10 s at most, redirects not followed; a 2xx delivers it,
anything else is retried after 1 s, 2 s, 4 s, ... (at most LINEAGE_WATCH_BACKOFF_MAX_SECONDS)
until LINEAGE_WATCH_RETRY_SECONDS (24 h) have passed since the first attempt; then it is
`failed` and the watch's next delivery goes. Retries carry the same delivery_id.

One loop owns the worker's database session: it claims heads, starts their attempts
(up to IN_FLIGHT at once, over HTTP clients that keep connections alive) and, as
attempts finish, records all that finished in one statement that also claims those
watches' next heads. An attempt touches no database session, so the statements per
second stay a handful however many POSTs go. The detector wakes the loop after each
commit that wrote deliveries; the poll interval only paces retries.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Final

import httpx

from lineage_core.changes import backoff_seconds, delivery_body, signature
from lineage_read import watch_queue
from projector.watches import metrics
from projector.watches.session import WatchSession

log = logging.getLogger("lineage.watches")

TIMEOUT_SECONDS: Final = 10.0
LEASE_SECONDS: Final = 30.0  # past the timeout: a claim outlives its attempt
POLL_SECONDS: Final = 0.25  # how often retries that came due are claimed
IN_FLIGHT: Final = 256  # attempts at once; a dead receiver holds one of them
# The attempts are spread over this many HTTP clients by watch: each request costs an
# httpx client a look at every connection it holds, so one client holding IN_FLIGHT
# connections spends more time choosing than sending. A client's connections are not
# capped (IN_FLIGHT caps them all), so a dead receiver never makes another watch wait.
CLIENTS: Final = 64
KEEP_ALIVE: Final = 8  # idle connections kept per client
PENDING_SECONDS: Final = 2.0  # how often lineage_watch_pending is re-read


@dataclass(frozen=True)
class Outcome:
    id: Any
    outcome: str  # 'delivered' | 'retry' | 'failed'
    delay: float = 0.0
    error: str | None = None


class Deliverer:
    def __init__(
        self, session: WatchSession, *, retry_seconds: float, backoff_max_seconds: float
    ) -> None:
        self.session = session
        self.retry_seconds = retry_seconds
        self.backoff_max_seconds = backoff_max_seconds
        self.wake = asyncio.Event()  # set by the detector: new deliveries to claim
        self._finished = asyncio.Event()  # set by an attempt: an outcome to record
        self._outcomes: list[Outcome] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Deliver until cancelled; a database fault ends the call (the caller retries)."""
        clients = [
            httpx.AsyncClient(
                timeout=httpx.Timeout(TIMEOUT_SECONDS),
                follow_redirects=False,
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=KEEP_ALIVE),
            )
            for _ in range(CLIENTS)
        ]
        counted = 0.0
        claimed_at = 0.0
        more = True  # the last claim may have left claimable heads behind
        try:
            while True:
                if time.monotonic() - counted > PENDING_SECONDS:
                    metrics.PENDING.set(await self.session.fetchval(watch_queue.PENDING))
                    counted = time.monotonic()
                claim = self.wake.is_set() or more or time.monotonic() - claimed_at > POLL_SECONDS
                self.wake.clear()
                self._finished.clear()
                await self._record(clients)
                free = IN_FLIGHT - len(self._tasks)
                if claim and free > 0:
                    claimed_at = time.monotonic()
                    rows = await self.session.fetch(watch_queue.CLAIM, free, LEASE_SECONDS)
                    more = len(rows) == free
                    self._start(clients, rows)
                if self._outcomes or self.wake.is_set():
                    continue
                waits = [asyncio.ensure_future(e.wait()) for e in (self.wake, self._finished)]
                try:
                    timeout = max(0.0, POLL_SECONDS - (time.monotonic() - claimed_at))
                    await asyncio.wait(waits, timeout=timeout, return_when="FIRST_COMPLETED")
                finally:
                    for w in waits:
                        w.cancel()
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            for client in clients:
                await client.aclose()

    async def _record(self, clients: list[httpx.AsyncClient]) -> None:
        """Record every finished attempt in one statement; start the next heads it claims."""
        outcomes, self._outcomes = self._outcomes, []
        if not outcomes:
            return
        rows = await self.session.fetch(
            watch_queue.RECORD,
            [o.id for o in outcomes],
            [o.outcome for o in outcomes],
            [o.delay for o in outcomes],
            [o.error for o in outcomes],
            LEASE_SECONDS,
        )
        for o in outcomes:
            metrics.DELIVERIES.labels("retried" if o.outcome == "retry" else o.outcome).inc()
        self._start(clients, rows)

    def _start(self, clients: list[httpx.AsyncClient], rows: list[Any]) -> None:
        for row in rows:
            task = asyncio.create_task(self._attempt(clients, row))
            self._tasks.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery attempt failed", exc_info=task.exception())

    async def _attempt(self, clients: list[httpx.AsyncClient], row: Any) -> None:
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
        client = clients[int(row["watch_id"]) % CLIENTS]
        error = await _post(client, row["url"], body, headers)
        if error is None:
            outcome = Outcome(row["id"], "delivered")
        elif float(row["trying_seconds"]) >= self.retry_seconds:
            log.warning("delivery %s to %s failed for good: %s", row["id"], row["url"], error)
            outcome = Outcome(row["id"], "failed", error=error)
        else:
            delay = backoff_seconds(int(row["attempts"]), self.backoff_max_seconds)
            outcome = Outcome(row["id"], "retry", delay, error)
        self._outcomes.append(outcome)
        self._finished.set()


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
