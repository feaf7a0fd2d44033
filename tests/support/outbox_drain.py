"""A NATS outage under a steady producer, shared by the outbox drain test and
bench/bench_outbox.py: one SDK publisher sends at `rate` events/s, the nats-server is
stopped for `outage` seconds of sending and started again, and we measure how long after
NATS is back the outbox is empty while the producer keeps sending.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lineage_core.events import Event, encode
from lineage_core.subjects import subject_for
from producer_sdk.outbox import Outbox
from producer_sdk.publisher import Publisher
from tests.support.sdk import read_stream
from tests.support.servers import NatsServer
from tests.support.workload import EVENTS_PER_RUN, run_events


@dataclass
class DrainReport:
    rate: float
    sent: int = 0
    outboxed: int = 0  # events that went through the outbox file
    outage_seconds: float = 0.0  # from the stop until the server listened again
    drain_seconds: float | None = None  # from NATS back until the outbox was empty
    sent_after_drain: int = 0  # events the producer still sent after the outbox emptied
    in_stream: int = 0
    duplicates: int = 0
    missing: int = 0
    in_order: bool = False  # the stream holds the events in the order they were sent


def workload(count: int, seed: int) -> list[Event]:
    out: list[Event] = []
    for index in range(count // EVENTS_PER_RUN + 1):
        out.extend(run_events(index, seed=seed))
    return out[:count]


async def run_outage(
    server: NatsServer,
    home: Path,
    *,
    rate: float,
    seconds: float,
    outage_at: float = 1.5,
    outage: float = 3.0,
    seed: int = 7,
    stop_after: float | None = None,
) -> DrainReport:
    """Send `rate * seconds` events paced at `rate`/s; NATS is down for `outage` seconds
    once the producer has sent `outage_at` seconds' worth of events. With `stop_after`,
    the producer stops after that many seconds even if it fell behind (a benchmark of
    code that cannot keep up must end)."""
    events = workload(int(rate * seconds), seed)
    publisher = Publisher([server.url], Outbox(home / "outbox"), client_name="outbox-drain")
    report = DrainReport(rate=rate)
    done = threading.Event()

    def sent_at_least(count: float) -> None:
        while report.sent < count and not done.is_set():
            time.sleep(0.01)

    def control() -> None:
        """The outage, on its own thread: the server's life does not wait for the
        producer's event loop (a producer that never yields must not stop it)."""
        sent_at_least(rate * outage_at)
        stopped = time.monotonic()
        server.stop()
        time.sleep(outage)  # the outage is the scenario's clock, not a wait for a state
        server.start()
        back = time.monotonic()
        report.outage_seconds = back - stopped
        while publisher.outbox.has_pending() and not done.is_set():
            time.sleep(0.01)
        if not done.is_set():
            report.drain_seconds = time.monotonic() - back
            drained_at = report.sent
            done.wait()
            report.sent_after_drain = report.sent - drained_at

    controller = threading.Thread(target=control, name="outage", daemon=True)
    controller.start()
    try:
        start = time.monotonic()
        for k, event in enumerate(events):
            if stop_after is not None and time.monotonic() - start > stop_after:
                break
            delay = start + k / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await publisher.publish(
                subject_for(event.event_type), str(event.event_id), encode(event)
            )
            report.sent += 1
        done.set()
        await asyncio.to_thread(controller.join)
        deadline = time.monotonic() + 120
        while await publisher.flush() and time.monotonic() < deadline:  # noqa: ASYNC110 - polled
            await asyncio.sleep(0.1)
    finally:
        done.set()
        controller.join()
        server.start()
        report.outboxed = publisher.outboxed
        await publisher.close()

    got = await read_stream(server.url)
    ids = [h.get("Nats-Msg-Id", "") for _, h, _ in got]
    counts = Counter(ids)
    wanted = [str(e.event_id) for e in events[: report.sent]]
    report.in_stream = len(ids)
    report.duplicates = sum(n - 1 for n in counts.values() if n > 1)
    report.missing = len(set(wanted) - set(counts))
    report.in_order = ids == wanted
    return report
