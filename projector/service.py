"""`run_projector`: the active projector's life, from election to clean cancellation.

One projector is active at a time (single active consumer). Each process waits for a
Postgres session advisory lock; the holder positions the durable consumer at its
tracking row (applied_sequence + 1), consumes LINEAGE in batches with a faststream
NatsBroker pull subscriber and commits every batch on the very connection that holds
the lock, so a process that lost the lock (cut off from Postgres, killed) can never
commit again. A `kill -9` ends the session and the lock; a standby takes over at the
watermark within a poll interval. See docs/projector.md for the reasoning.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from typing import Annotated, Any, Final

from faststream import AckPolicy, Context
from faststream.nats import JStream, NatsBroker, PullSub
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from lineage_core import nats_auth, subjects
from lineage_core.settings import Settings
from lineage_core.startup import log_to_stderr_if_unconfigured, wait_for_jetstream, wait_until
from lineage_core.streams import ensure_streams
from projector import metrics
from projector._faststream_compat import WINDOW_OVER, Fetch, wrap_fetch
from projector.consumer import BatchHandler, Reposition
from projector.leader import Leadership, LostLeadership
from projector.store import asyncpg_dsn
from projector.watches.service import run_watches

log = logging.getLogger("lineage.projector")

BATCH_SIZE: Final = 2000
# How long a batch may wait to fill up: bounds event-to-queryable latency at low rates.
BATCH_WINDOW_SECONDS: Final = 0.005
ACK_WAIT_SECONDS: Final = 60.0
MAX_ACK_PENDING: Final = 20_000
GC_GEN0_THRESHOLD: Final = 50_000
MIN_FETCH_SECONDS: Final = 0.001
IDLE_POLL_SECONDS: Final = 1.0


async def run_projector(settings: Settings) -> None:
    """Project LINEAGE into Postgres until cancelled. Safe to run in several processes."""
    log_to_stderr_if_unconfigured()
    _tune_gc()
    leadership = Leadership(asyncpg_dsn(settings.resolved_database_url()))
    try:
        while True:
            await leadership.acquire()
            metrics.IS_ACTIVE.set(1)
            log.info("this projector is active")
            # changes and webhooks follow the projection where it is applied
            watching = asyncio.create_task(run_watches(settings), name="watches")
            try:
                await _rebuild_if_required(settings, leadership)
                await _serve_term(settings, leadership)
            except LostLeadership:
                log.warning("another projector took over; back to standby")
            finally:
                metrics.IS_ACTIVE.set(0)
                watching.cancel()
                await asyncio.gather(watching, return_exceptions=True)
    finally:
        await leadership.release()


async def _rebuild_if_required(settings: Settings, leadership: Leadership) -> None:
    """Rebuild before consuming when a migration left a projection only a rebuild can fill
    (0006: versions of every write the raw log holds). The active projector does it, so
    one process rebuilds however many start."""
    conn = await leadership.connection()
    async with leadership.lock:
        required = await conn.fetchval(
            "SELECT rebuild_required FROM projection.projection_state WHERE id = 1"
        )
    if required:
        from projector.rebuild import rebuild  # the rebuild's machinery, only when needed

        log.warning("the projection was marked for a rebuild by a migration: rebuilding")
        applied = await rebuild(settings)
        log.warning("rebuilt the projection from %s raw events", applied)


def _tune_gc() -> None:
    # The hot path allocates tens of objects per event, all freed by reference counting.
    # With the default gen0 threshold (700) the cyclic collector runs every few dozen events
    # and walks every young object: a third of the projector's CPU. Collect less often, and
    # move what startup created (modules, pools) out of its sight.
    gen0, gen1, gen2 = gc.get_threshold()
    if gen0 >= GC_GEN0_THRESHOLD:
        return  # done once per process
    gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)
    gc.freeze()


async def position_consumer(js: JetStreamContext, start_sequence: int) -> None:
    """(Re)create the durable pull consumer so it delivers from `start_sequence` on.

    The tracking row in Postgres is the truth; the consumer's own position is derived
    from it, so pending redeliveries of a crashed process never arrive out of order.
    Acks are cumulative (AckPolicy.ALL, one ack per committed batch): below the
    contiguous watermark everything is committed, and since every term re-creates the
    consumer at the watermark, an ack is flow control, never what prevents a loss.
    """
    with contextlib.suppress(NotFoundError):
        await js.delete_consumer(subjects.STREAM, subjects.PROJECTOR_DURABLE)
    await js.add_consumer(
        subjects.STREAM,
        ConsumerConfig(
            durable_name=subjects.PROJECTOR_DURABLE,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=max(start_sequence, 1),
            ack_policy=JsAckPolicy.ALL,
            ack_wait=ACK_WAIT_SECONDS,
            max_ack_pending=MAX_ACK_PENDING,
        ),
    )


async def _serve_term(settings: Settings, leadership: Leadership) -> None:
    """Consume while active; return to re-position the consumer, raise on lost leadership."""
    servers = settings.nats_servers()
    creds = settings.resolved_nats_creds()
    auth = nats_auth.service_connect_options(creds)
    # Until NATS answers, the broker's own connect would retry silently and forever.
    await wait_for_jetstream(servers, auth)
    # Per-batch "Received/Processed" lines at DEBUG: the projector logs what matters itself.
    broker = NatsBroker(
        nats_auth.servers_with_password(list(servers), creds),
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        log_level=logging.DEBUG,
        user_credentials=auth.get("user_credentials"),
        inbox_prefix=auth["inbox_prefix"],
    )
    stop = asyncio.Event()
    lost: list[BaseException] = []
    try:
        client = await broker.connect()
        js = client.jetstream()
        # a cluster still electing the stream's leader answers errors for a while
        await wait_until(
            "the LINEAGE streams", lambda: ensure_streams(js, settings.stream_replicas)
        )
        watermark = await leadership.watermark_for_stream(await _stream_last_sequence(js))
        metrics.APPLIED_SEQUENCE.set(watermark)  # where this term starts, before any batch
        await position_consumer(js, watermark + 1)
        handler = BatchHandler(js, leadership.connection, watermark, leadership.lock)

        subscriber = broker.subscriber(
            subjects.STREAM_SUBJECTS[0],
            stream=JStream(subjects.STREAM, declare=False),
            durable=subjects.PROJECTOR_DURABLE,
            pull_sub=PullSub(batch_size=BATCH_SIZE, timeout=BATCH_WINDOW_SECONDS, batch=True),
            ack_policy=AckPolicy.MANUAL,
            decoder=_raw_messages,
        )

        @subscriber
        async def on_batch(body: Any, message: Annotated[Any, Context("message")]) -> None:  # noqa: ARG001 - faststream passes the decoded body first; the raw batch is what we use
            if stop.is_set():
                return  # left unacked: the next term re-delivers from the watermark
            try:
                await handler.handle(message.raw_message)
            except Reposition as exc:
                log.info("repositioning the consumer: %s", exc)
                stop.set()
            except LostLeadership as exc:
                lost.append(exc)
                stop.set()
            except Exception:
                log.exception("batch failed; repositioning the consumer at the watermark")
                stop.set()

        await broker.start()
        _end_windows_cleanly(subscriber)
        watchdog = asyncio.create_task(leadership.watch(stop))
        try:
            await stop.wait()
            await handler.drain()
        finally:
            await handler.close()
            watchdog.cancel()
            await asyncio.gather(watchdog, return_exceptions=True)
    except Exception as exc:  # noqa: BLE001 - NATS or Postgres not reachable yet: retry
        log.warning("cannot serve now, retrying: %r", exc)
        await asyncio.sleep(1.0)
    finally:
        await broker.stop()
    if lost or not leadership.holds_lock():
        raise LostLeadership("leadership lost")


def _end_windows_cleanly(subscriber: Any) -> None:
    """Adapt the pull subscription's `fetch` to faststream's batch loop.

    - faststream's batch loop ends a window on `nats.errors.TimeoutError` only, but nats-py
      raises a plain `asyncio.TimeoutError` on some paths (a window with under 0.1 ms left
      gives a negative `expires`), which kills the consume task until the supervisor
      restarts it, seconds later. A plain timeout is re-raised as the nats one, and a fetch
      with under 1 ms left ends the window at once; the batch in hand goes on.
    - An idle projector would send a pull request every window (200 a second). After an
      empty window, the next one starts with a long-poll for a single message, which
      returns as soon as one is published: one request a second while idle, no added
      latency (that first message is applied as a batch of one).
    """

    def adapt(fetch: Fetch) -> Fetch:
        idle = False

        async def adapted_fetch(batch: int = 1, timeout: float | None = 5, **kw: Any) -> Any:
            nonlocal idle
            window_start = batch >= BATCH_SIZE  # nothing collected yet in this window
            if window_start and idle:
                batch, timeout = 1, IDLE_POLL_SECONDS
            elif timeout is not None and timeout < MIN_FETCH_SECONDS:
                raise WINDOW_OVER
            try:
                msgs = await fetch(batch=batch, timeout=timeout, **kw)
            except TimeoutError:  # nats' TimeoutError is one too
                if window_start:
                    idle = True
                raise WINDOW_OVER from None
            idle = False
            return msgs

        return adapted_fetch

    wrap_fetch(subscriber, adapt)


async def _stream_last_sequence(js: JetStreamContext) -> int:
    info = await js.stream_info(subjects.STREAM)
    return int(info.state.last_seq)


async def _raw_messages(message: Any) -> list[Msg]:
    # The handler decodes each body itself (and parks the bad ones): skip faststream's
    # JSON decoding of the batch.
    return list(message.raw_message)
