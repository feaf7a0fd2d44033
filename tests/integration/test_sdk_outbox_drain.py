"""A steady producer recovers from a short NATS outage: the outbox drains while it sends.

The scenario is in tests/support/outbox_drain.py (bench/bench_outbox.py measures it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.outbox_drain import run_outage
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
