"""Publish events to JetStream and wait for the ack; fall back to the durable outbox.

Async, bound to one event loop: the sync SDK runs it on its private loop thread,
`producer_sdk.aio` on the caller's loop. The connection does not reconnect by itself
(nats-py would buffer publishes in memory meanwhile); when NATS is unreachable or an ack
times out, the event goes to the outbox, and the next publish (at most every
`retry_interval` seconds) reconnects, re-sends the outbox in order, then publishes.
While the outbox holds events, new events queue behind them, so order is kept.

The outbox is re-sent from memory in batches of `RESEND_BATCH` publishes in flight at
once (written to the connection in file order), each batch's acknowledged prefix
dropped before the next; a publish spends at most `RESEND_BUDGET` seconds on it, so a
producer that keeps sending drains a backlog a slice per call instead of stalling.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import nats
import nats.errors
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from lineage_core.nats_auth import connect_options
from lineage_core.streams import ensure_streams
from lineage_core.subjects import MSG_ID_HEADER
from producer_sdk import outbox as outbox_mod
from producer_sdk.errors import LineageError
from producer_sdk.outbox import Outbox, OutboxEntry

if TYPE_CHECKING:
    from lineage_core.settings import Settings

log = logging.getLogger("producer_sdk")

# Everything that means "NATS did not take it now": keep the event and retry later.
UNAVAILABLE = (nats.errors.Error, OSError, asyncio.TimeoutError)
# Outbox entries published before waiting for their acks (one connection keeps them in
# order), and how long one publish may spend re-sending before its own event.
RESEND_BATCH: Final = 256
RESEND_BUDGET: Final = 0.25


class NatsUnavailable(Exception):
    """No connection right now (within the retry back-off)."""


class Publisher:
    """JetStream publishing with ack, highest acked sequence, and an outbox fallback."""

    def __init__(
        self,
        servers: list[str],
        outbox: Outbox,
        *,
        client_name: str = "producer_sdk",
        publish_timeout: float = 2.0,
        connect_timeout: float = 1.0,
        retry_interval: float = 1.0,
        credentials: dict[str, Any] | None = None,
        adopt_orphans: bool = True,
    ) -> None:
        self.servers = servers
        self.credentials = credentials or {}  # nats.connect's user_credentials= or user/password
        self.outbox = outbox
        self.client_name = client_name
        self.publish_timeout = publish_timeout
        self.connect_timeout = connect_timeout
        self.retry_interval = retry_interval
        self.highest_sequence = 0  # highest JetStream sequence acked to this process
        self.outboxed = 0  # events this process had to write to the outbox
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._next_attempt = 0.0
        self._connect_task: asyncio.Task[None] | None = None
        self._last_error: BaseException | None = None
        self._lock: asyncio.Lock | None = None
        self._adopted = not adopt_orphans  # True: never send other processes' outboxes
        self._adopt_due = False
        self._resent = 0  # outbox events re-sent since the outbox last became empty

    async def publish(self, subject: str, event_id: str, data: bytes) -> int | None:
        """Publish one event; its stream sequence, or None if it went to the outbox."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self.outbox.has_pending():
                await self._drain(budget=RESEND_BUDGET)
                if self.outbox.has_pending():
                    self._keep(OutboxEntry(subject, event_id, data))
                    # Let the background reconnect run: a caller on this loop that
                    # publishes without pause would otherwise starve it for good.
                    await asyncio.sleep(0)
                    return None
            try:
                sequence: int | None = await self.send(subject, event_id, data)
            except Exception as exc:  # noqa: BLE001 - whatever kept the ack away, keep the event
                if not isinstance(exc, (NatsUnavailable, *UNAVAILABLE)):
                    log.warning(
                        "publish failed (%r): keeping event %s in the outbox", exc, event_id
                    )
                self._keep(OutboxEntry(subject, event_id, data))
                await asyncio.sleep(0)  # as above
                sequence = None
            if self._adopt_due:
                await self._adopt_orphans()
            return sequence

    async def flush(self) -> int:
        """Try to send this process's outbox now; how many events are still in it."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self.outbox.has_pending():
                await self._drain(wait=True)
            if self._adopt_due:
                await self._adopt_orphans()
            return len(self.outbox) if self.outbox.has_pending() else 0

    async def close(self) -> int:
        """Flush what can be flushed, then close; how many events stay in the outbox."""
        left = await self.flush()
        task = self._connect_task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self._nc is not None and not self._nc.is_closed:
            with contextlib.suppress(*UNAVAILABLE):
                await self._nc.drain()
        self._nc = self._js = None
        return left

    def _keep(self, entry: OutboxEntry) -> None:
        self.outbox.append(entry)
        self.outboxed += 1
        if self.outboxed == 1:
            log.warning(
                "NATS at %s is unreachable: keeping events in %s until it is back",
                ",".join(self.servers),
                self.outbox.path,
            )

    async def send(self, subject: str, event_id: str, data: bytes, wait: bool = False) -> int:
        js = await self._connected(wait)
        ack = await js.publish(
            subject, data, timeout=self.publish_timeout, headers={MSG_ID_HEADER: event_id}
        )
        self.highest_sequence = max(self.highest_sequence, ack.seq)
        return int(ack.seq)

    async def send_batch(self, entries: list[OutboxEntry], wait: bool = False) -> int:
        """Publish `entries` without waiting between them; how many of them, from the
        first, JetStream acknowledged (the rest, if any, must be sent again)."""
        js = await self._connected(wait)
        futures: list[asyncio.Future[Any]] = []
        try:
            for entry in entries:
                future = await js.publish_async(
                    entry.subject, entry.data, headers={MSG_ID_HEADER: entry.event_id}
                )
                futures.append(future)
        except Exception as exc:  # noqa: BLE001 - wait for what was written; the rest stays
            self._last_error = exc
            if not isinstance(exc, UNAVAILABLE):
                log.warning("re-sending the outbox failed: %r", exc)
        if futures:
            await asyncio.wait(futures, timeout=self.publish_timeout)
        acked = 0
        failure: BaseException | None = None
        for future in futures:
            if not future.done():
                future.cancel()  # no ack in time
                failure = failure or TimeoutError("no ack within the publish timeout")
            elif future.cancelled():
                failure = failure or asyncio.CancelledError()
            elif (error := future.exception()) is not None:
                failure = failure or error
            else:
                self.highest_sequence = max(self.highest_sequence, int(future.result().seq))
                # Only the prefix before the first failure counts as sent: a later entry
                # that did arrive is re-sent with the rest and de-duplicated by its id.
                acked += failure is None
        if failure is not None and not isinstance(failure, (NatsUnavailable, *UNAVAILABLE)):
            log.warning("re-sending the outbox failed: %r", failure)
        return acked

    async def _drain(self, wait: bool = False, budget: float | None = None) -> None:
        """Re-send the outbox in order from memory, stopping at the first failure or after
        `budget` seconds. Caller holds _lock."""
        with outbox_mod.locked(self.outbox.directory, blocking=False) as mine:
            if not mine:
                return  # `lineage outbox flush` is at it right now
            self.outbox.sync()
            started = time.monotonic()
            while len(self.outbox):
                batch = self.outbox.first(RESEND_BATCH)
                try:
                    acked = await self.send_batch(batch, wait)
                except Exception as exc:  # noqa: BLE001 - the outbox keeps them for later
                    if not isinstance(exc, (NatsUnavailable, *UNAVAILABLE)):
                        log.warning("re-sending the outbox failed: %r", exc)
                    break
                self.outbox.drop_first(acked)
                self._resent += acked
                if acked < len(batch):
                    break
                if budget is not None and time.monotonic() - started > budget:
                    break
            if self._resent and not len(self.outbox):
                log.warning("NATS is back: sent %d events from the outbox", self._resent)
                self._resent = 0

    async def _connected(self, wait: bool = False) -> JetStreamContext:
        """The JetStream context, or NatsUnavailable at once.

        Only the first connection attempt of the process, and flushes (`wait=True`), wait
        for it; later attempts (at most one per retry_interval) run in the background, so a
        call never waits on an unreachable host.
        """
        if self._nc is not None and self._nc.is_connected and self._js is not None:
            return self._js
        task = self._connect_task
        if task is None or task.done():
            if not wait and task is not None and time.monotonic() < self._next_attempt:
                raise NatsUnavailable(f"not connected: {self._last_error!r}")
            self._next_attempt = time.monotonic() + self.retry_interval
            first = task is None
            task = self._connect_task = asyncio.get_running_loop().create_task(self._connect())
            if not (first or wait):
                raise NatsUnavailable("reconnecting in the background")
        elif not wait:
            raise NatsUnavailable("connecting")
        await task
        if self._nc is not None and self._js is not None:
            return self._js
        raise NatsUnavailable(f"cannot connect to {','.join(self.servers)}: {self._last_error!r}")

    async def _connect(self) -> None:
        """Try each server once; on success set the connection. Never raises."""
        if self._nc is not None and not self._nc.is_closed:
            with contextlib.suppress(*UNAVAILABLE):
                await self._nc.close()
        self._nc = self._js = None
        for server in self.servers:
            nc = NatsClient()
            try:
                # nats-py retries a refused server max_reconnect_attempts times even with
                # allow_reconnect=False: keep it to one retry, and bound the whole attempt.
                await asyncio.wait_for(
                    nc.connect(**self.connect_arguments(server), error_cb=_quiet),
                    timeout=2 * self.connect_timeout + 0.5,
                )
            except UNAVAILABLE as exc:
                self._last_error = exc
                # A refusal after the TCP connect (bad credentials) leaves nats-py's socket
                # open when reconnecting is off: close it here.
                with contextlib.suppress(*UNAVAILABLE):
                    await nc.close()
                continue
            js = nc.jetstream(timeout=self.publish_timeout)
            try:
                await ensure_streams(js)
            except UNAVAILABLE as exc:
                await nc.close()
                self._last_error = exc
                continue
            self._nc, self._js = nc, js
            if not self._adopted:
                self._adopt_due = True
            return

    def connect_arguments(self, server: str) -> dict[str, Any]:
        """What `nats.connect` gets for one server (but the error callback).

        `server` keeps any `user:password@` of LINEAGE_NATS_URL (nats-py reads it from the
        URL); `credentials` adds those of a credentials file.
        """
        return {
            "servers": [server],
            "name": self.client_name,
            "allow_reconnect": False,
            "max_reconnect_attempts": 1,
            "reconnect_time_wait": 0.02,
            "connect_timeout": self.connect_timeout,
            "pending_size": 0,
            **self.credentials,
        }

    async def _adopt_orphans(self) -> None:
        """Once per process: send the outbox files of processes that died before NATS was back.

        Caller holds _lock but not the outbox file lock."""
        self._adopted, self._adopt_due = True, False
        orphans = [
            f
            for f in outbox_mod.list_files(self.outbox.directory)
            if not f.alive and f.path != self.outbox.path and f.events
        ]
        if not orphans:
            return
        try:
            sent = await flush_files(self, [f.path for f in orphans])
        except (NatsUnavailable, *UNAVAILABLE):
            return
        log.warning("sent %d events left in the outbox by exited processes", sent)


def producer_credentials(settings: Settings) -> dict[str, Any]:
    """`nats.connect` arguments for a producer's credentials: LINEAGE_NATS_CREDS, else the
    producer credentials file a running `lineage up` recorded under LINEAGE_HOME; none when
    neither is set (then only user:password in LINEAGE_NATS_URL, if any, authenticates)."""
    path = settings.producer_nats_creds()
    try:
        return connect_options(path)
    except (OSError, ValueError) as exc:
        raise LineageError(
            f"cannot use the NATS credentials file {path} (LINEAGE_NATS_CREDS, or recorded "
            f"by `lineage up` under {settings.home}): {exc}"
        ) from None


async def flush_files(publisher: Publisher, paths: list[Path]) -> int:
    """Re-send the given outbox files in order (for operators and orphans); events sent."""
    total = 0
    with outbox_mod.locked(publisher.outbox.directory):
        for path in paths:
            entries = outbox_mod.read_entries(path)
            sent = 0
            try:
                while sent < len(entries):
                    batch = entries[sent : sent + RESEND_BATCH]
                    acked = await publisher.send_batch(batch, wait=True)
                    sent += acked
                    if acked < len(batch):
                        raise NatsUnavailable(f"{len(entries) - sent} events not acknowledged")
            finally:
                if sent:
                    outbox_mod.replace_entries(path, entries[sent:])
                total += sent
    return total


async def _quiet(exc: Any) -> None:
    log.debug("nats: %r", exc)
