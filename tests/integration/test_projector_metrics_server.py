"""The projector's own /metrics reads the stream at scrape time: lag grows while the
projector applies nothing, and a standby reports no lag at all."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from lineage_core.settings import Settings
from projector import metrics
from projector.metrics_server import create_metrics_app
from tests.support.projector import connect_js, publish
from tests.support.workload import workload

pytestmark = pytest.mark.integration


@pytest.fixture
def gauges() -> Iterator[None]:
    """The process-wide gauges this test sets, put back afterwards."""
    yield
    metrics.IS_ACTIVE.set(0)
    metrics.APPLIED_SEQUENCE.set(0)


async def _publish(nats_url: str, runs: int, seed: int) -> int:
    nc, js = await connect_js(nats_url)
    try:
        return await publish(js, workload(runs, seed=seed))
    finally:
        await nc.close()


def _lag(client: TestClient) -> float:
    response = client.get("/metrics")
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.text):
        if family.name == "lineage_projector_lag":
            return float(family.samples[0].value)
    raise AssertionError("no lineage_projector_lag")


def test_lag_is_read_from_the_stream_at_scrape_time(nats_url: str, gauges: None) -> None:
    last = asyncio.run(_publish(nats_url, 2, seed=11))
    with TestClient(create_metrics_app(Settings(nats_url=nats_url))) as client:
        metrics.IS_ACTIVE.set(1)
        metrics.APPLIED_SEQUENCE.set(last - 5)
        assert _lag(client) == 5
        more = asyncio.run(_publish(nats_url, 1, seed=12))  # nobody applies them
        assert _lag(client) == more - (last - 5)
        metrics.IS_ACTIVE.set(0)
        assert math.isnan(_lag(client))  # a standby applies nothing: no lag to report
        assert client.get("/healthz").json() == {"status": "ok", "active": False}
