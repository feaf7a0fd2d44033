"""A steady producer recovers from a short NATS outage: the outbox drains while it sends.

The scenario is in tests/support/outbox_drain.py (bench/bench_outbox.py measures it).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from lineage_core.events import Event, encode
from lineage_core.subjects import subject_for
from producer_sdk.outbox import Outbox
from producer_sdk.publisher import Publisher
from tests.support.outbox_drain import run_outage, workload
from tests.support.sdk import read_stream
from tests.support.servers import NatsServer

pytestmark = pytest.mark.integration


async def test_the_outbox_drains_while_the_producer_keeps_sending(
    nats_server: NatsServer, nats_url: str, tmp_path: Path
) -> None:
    report = await run_outage(nats_server, tmp_path, rate=200, seconds=8, outage=2.5)
    assert report.outboxed > 0, report  # the outage did send events to the outbox
    # Emptied before the producer stopped (about 4 s of sending were left after the
    # outage), and the producer went on sending straight to NATS afterwards.
    assert report.drain_seconds is not None, report
    assert report.sent_after_drain > 0, report
    assert report.sent == 1600
    assert (report.missing, report.duplicates) == (0, 0), report
    assert report.in_stream == report.sent
    assert report.in_order, report


async def test_a_producer_that_never_pauses_still_reconnects_and_drains(
    nats_server: NatsServer, nats_url: str, tmp_path: Path
) -> None:
    """Publishes back to back on one event loop (an async pipeline behind schedule): the
    reconnect runs in the background on that loop, so the outbox path must yield to it."""
    events = workload(1500, seed=3)
    publisher = Publisher([nats_url], Outbox(tmp_path / "outbox"), retry_interval=0.2)

    async def publish(event: Event) -> None:
        await publisher.publish(subject_for(event.event_type), str(event.event_id), encode(event))

    try:
        await publish(events[0])
        await asyncio.to_thread(nats_server.stop)
        for event in events[1:50]:
            await publish(event)
        assert publisher.outbox.has_pending()
        await asyncio.to_thread(nats_server.start)
        sent = 50
        while publisher.outbox.has_pending() and sent < len(events):
            await publish(events[sent])
            sent += 1
        assert not publisher.outbox.has_pending(), f"still waiting after {sent} publishes"
        for event in events[sent:]:
            await publish(event)
        assert await publisher.flush() == 0
    finally:
        nats_server.start()
        await publisher.close()
    ids = [h["Nats-Msg-Id"] for _, h, _ in await read_stream(nats_url)]
    assert ids == [str(e.event_id) for e in events]  # each once, in order
