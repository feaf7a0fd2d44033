"""One delivered batch: decode, park bad messages, apply in one transaction, ack after commit.

The consumer delivers LINEAGE in stream order from the position the service set at the
tracking row (applied_sequence + 1), so applied_sequence is a contiguous watermark:
messages at or below it were applied before (a redelivery after a crash between commit
and ack) and are only acked. A gap above it means earlier messages are still pending
(e.g. a fetch lost in a NATS reconnect): the contiguous part is applied and the service
repositions the consumer at the watermark, so nothing is ever skipped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import asyncpg
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from lineage_core import subjects
from lineage_core.events import InvalidEvent, decode
from projector import metrics
from projector.apply import ProjectionRows, fold
from projector.dlq import dead_letter, park
from projector.leader import LostLeadership
from projector.store import Accepted, BatchOutcome, apply_batch

log = logging.getLogger("lineage.projector")

# Postgres errors that mean "this data can never be stored" (class 22: data exception,
# e.g. a NUL character in a string); anything else from the database is a fault to retry.
_DATA_ERROR_CLASSES = ("22",)


class Reposition(Exception):
    """The delivered batch does not continue the watermark: restart the consumer there."""


@dataclass
class Decoded:
    accepted: list[Accepted] = field(default_factory=list)
    bad: list[tuple[Msg, str]] = field(default_factory=list)


# Tokens of a JetStream ack subject: the short form, and the least of the long form.
_ACK_TOKENS = 9
_ACK_TOKENS_WITH_DOMAIN = 12


def sequence_of(msg: Msg) -> int:
    """The message's stream sequence, read straight from its ack subject.

    `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.…` (9 tokens), or with domain and
    account hash (12+ tokens); nats-py's full `metadata` parse costs more than the rest of
    the hot path per message.
    """
    tokens = msg.reply.split(".")
    if len(tokens) == _ACK_TOKENS:
        return int(tokens[5])
    if len(tokens) >= _ACK_TOKENS_WITH_DOMAIN:
        return int(tokens[7])
    return int(msg.metadata.sequence.stream)


def decode_batch(msgs: Sequence[Msg]) -> Decoded:
    """Split messages into decoded events and bad ones with their reason.

    `decode` is the one decoder every reader uses (its fast path included), so the
    projector, a rebuild and the API accept and refuse exactly the same bytes.
    """
    out = Decoded()
    for msg in msgs:
        try:
            event = decode(msg.data)
            payload = msg.data.decode()
        except InvalidEvent as exc:
            out.bad.append((msg, exc.reason))
            continue
        except UnicodeDecodeError as exc:
            out.bad.append((msg, f"not JSON: {exc}"))
            continue
        out.accepted.append(Accepted(sequence_of(msg), msg.subject, payload, event))
    return out


def contiguous(
    msgs: Sequence[Msg], watermark: int, holes: dict[int, int] | None = None
) -> tuple[list[Msg], list[Msg], int | None]:
    """(already applied, the run continuing the watermark, the first missing sequence or None).

    `holes` maps a sequence that does not exist in the stream (deleted) to the next one that
    does, so a run may continue across it.
    """
    holes = holes or {}
    done: list[Msg] = []
    run: list[Msg] = []
    expected = watermark + 1
    missing: int | None = None
    for seq, msg in sorted(((sequence_of(m), m) for m in msgs), key=lambda p: p[0]):
        while missing is None and seq > expected and expected in holes:
            expected = holes[expected]
        if seq < expected:
            done.append(msg)
        elif seq == expected and missing is None:
            run.append(msg)
            expected += 1
        elif missing is None:
            missing = expected
    return done, run, missing


# The database connection and a way to get it again after a fault (re-electing this
# process as the active projector, or raising LostLeadership).
ConnectionSource = Callable[[], Awaitable[asyncpg.Connection]]


class BatchHandler:
    """Applies delivered batches for the active projector."""

    def __init__(
        self,
        js: JetStreamContext,
        connection: ConnectionSource,
        watermark: int,
        lock: asyncio.Lock | None = None,
    ) -> None:
        self.js = js
        self.connection = connection
        self.lock = lock or asyncio.Lock()  # guards the connection (shared with a watchdog)
        self.watermark = watermark  # committed
        self.dispatched = watermark  # handed to the commit in flight
        # Sequences known not to exist in the stream -> the next one that does.
        self.holes: dict[int, int] = {}
        self.max_backoff = 5.0
        # One commit in flight: batch k commits while batch k+1 is fetched and decoded.
        self._inflight: asyncio.Task[None] | None = None

    async def handle(self, msgs: Sequence[Msg]) -> None:
        """Take one batch; raise Reposition if it does not continue the watermark.

        The batch is decoded (bad messages parked) here, then committed in the background
        once the previous batch has committed; its messages are acked after its commit.
        """
        started = time.perf_counter()
        done, run, missing = contiguous(msgs, self.dispatched, self.holes)
        while missing is not None and await self._is_hole(missing):
            done, run, missing = contiguous(msgs, self.dispatched, self.holes)
        accepted: list[Accepted] = []
        if run:
            decoded = decode_batch(run)
            await self._dead_letter(decoded.bad)
            accepted = decoded.accepted
        # Folded while the previous batch commits, off the commit's critical path.
        folded = fold([a.event for a in accepted], [a.sequence for a in accepted])
        await self.drain()
        metrics.EVENTS_DUPLICATE.inc(len(done))
        if done:
            await done[-1].ack()  # applied before: a redelivery
        if run:
            self.dispatched = sequence_of(run[-1])
            self._inflight = asyncio.create_task(
                self._commit(accepted, folded, self.dispatched, run, started)
            )
        if missing is not None:
            await self.drain()
            raise Reposition(f"stream sequence {missing} was not delivered in order")

    async def drain(self) -> None:
        """Wait for the commit in flight (re-raising its failure)."""
        task, self._inflight = self._inflight, None
        if task is not None:
            await task

    async def close(self) -> None:
        """Abandon the commit in flight, if any (its messages stay unacked)."""
        task, self._inflight = self._inflight, None
        if task is not None and not task.done():
            task.cancel()
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)

    async def _commit(
        self,
        accepted: list[Accepted],
        folded: ProjectionRows,
        max_sequence: int,
        msgs: Sequence[Msg],
        started: float,
    ) -> None:
        async with self.lock:
            outcome = await self._apply(accepted, max_sequence, folded)
        self.watermark = outcome.applied_sequence
        metrics.EVENTS_APPLIED.inc(outcome.applied)
        metrics.EVENTS_DUPLICATE.inc(outcome.duplicates)
        metrics.APPLIED_SEQUENCE.set(outcome.applied_sequence)
        # Only now: acked means committed. The consumer acks cumulatively (AckPolicy.ALL),
        # and everything below this batch is committed too (the watermark is contiguous).
        await msgs[-1].ack()
        metrics.BATCH_SECONDS.observe(time.perf_counter() - started)

    async def _is_hole(self, sequence: int) -> bool:
        """Whether `sequence` is absent from the stream (deleted), remembering where it resumes."""
        try:
            nxt = await self.js.get_msg(
                subjects.STREAM, seq=sequence, next=True, subject=subjects.STREAM_SUBJECTS[0]
            )
        except NotFoundError:
            return False  # nothing at or after it: the batch is ahead of the stream?
        if nxt.seq is None or nxt.seq <= sequence:
            return False  # it exists: it is pending elsewhere and will be redelivered
        self.holes[sequence] = nxt.seq
        return True

    async def _dead_letter(self, bad: list[tuple[Msg, str]]) -> None:
        if not bad:
            return
        await asyncio.gather(*(dead_letter(self.js, msg, reason) for msg, reason in bad))
        for msg, reason in bad:
            log.warning(
                "dead-lettered stream sequence %s (%s): %s", sequence_of(msg), msg.subject, reason
            )
            metrics.EVENTS_DEAD_LETTERED.labels(metrics.reason_label(reason)).inc()

    async def _apply(
        self, accepted: list[Accepted], max_sequence: int, folded: ProjectionRows | None = None
    ) -> BatchOutcome:
        """Commit with retries: a database fault is retried with backoff, never dead-lettered."""
        delay = 0.05
        while True:
            try:
                conn = await self.connection()
                return await self._apply_isolating(conn, accepted, max_sequence, folded)
            except (LostLeadership, asyncio.CancelledError):
                raise
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                metrics.BATCH_RETRIES.inc()
                log.warning("database fault, retrying the batch in %.2fs: %r", delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)

    async def _apply_isolating(
        self,
        conn: asyncpg.Connection,
        accepted: list[Accepted],
        max_sequence: int,
        folded: ProjectionRows | None = None,
    ) -> BatchOutcome:
        """Apply; if Postgres refuses some data outright, bisect to park only those events."""
        try:
            return await apply_batch(conn, accepted, max_sequence=max_sequence, folded=folded)
        except asyncpg.PostgresError as exc:
            if not (exc.sqlstate or "").startswith(_DATA_ERROR_CLASSES) or not accepted:
                raise
            if len(accepted) == 1:
                await self._park_rejected(accepted[0], exc)
                return await apply_batch(conn, [], max_sequence=max_sequence)
            mid = len(accepted) // 2
            left, right = accepted[:mid], accepted[mid:]
            first = await self._apply_isolating(conn, left, left[-1].sequence)
            second = await self._apply_isolating(conn, right, max_sequence)
            return BatchOutcome(
                first.applied + second.applied,
                first.duplicates + second.duplicates,
                second.applied_sequence,
            )

    async def _park_rejected(self, accepted: Accepted, exc: asyncpg.PostgresError) -> None:
        reason = f"rejected by the database: {exc.sqlstate} {exc}"
        await park(self.js, accepted.subject, accepted.sequence, accepted.payload.encode(), reason)
        log.warning("dead-lettered stream sequence %s: %s", accepted.sequence, reason)
        metrics.EVENTS_DEAD_LETTERED.labels("database_rejected").inc()
