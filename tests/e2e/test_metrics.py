"""The projector's metrics as an operator scrapes them (docs/reference/deployment.md): on the one
/metrics of `lineage up`, and on LINEAGE_METRICS_PORT of `lineage projector` alone."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
import pytest

from lineage_core import subjects
from tests.support.metrics import Samples, scrape, value
from tests.support.projector import connect_js, publish, publish_raw, start_projector
from tests.support.servers import free_port
from tests.support.service import Service
from tests.support.waiting import wait_for
from tests.support.workload import workload

pytestmark = pytest.mark.e2e

# docs/reference/deployment.md: the names every deployment can rely on.
DOCUMENTED_FAMILIES = (
    "# TYPE lineage_projector_applied_sequence gauge",
    "# TYPE lineage_projector_lag gauge",
    "# TYPE lineage_projector_active gauge",
    "# TYPE lineage_projector_events_applied_total counter",
    "# TYPE lineage_projector_events_dead_lettered_total counter",
)


async def _publish_good_and_bad(nats_url: str) -> int:
    """Two runs and one undecodable message; the last stream sequence."""
    nc, js = await connect_js(nats_url)
    try:
        await publish(js, workload(2, seed=3))
        return await publish_raw(js, subjects.subject_for("RunFinished"), b"not json")
    finally:
        await nc.close()


def _caught_up(url: str, last: int) -> Samples | None:
    samples = scrape(url)
    applied = value(samples, "lineage_projector_applied_sequence")
    return samples if applied is not None and applied >= last else None


def _assert_documented(url: str, samples: Samples) -> None:
    text = httpx.get(url, timeout=5).text
    for family in DOCUMENTED_FAMILIES:
        assert family in text, family
    assert value(samples, "lineage_projector_active") == 1
    assert value(samples, "lineage_projector_events_applied_total") == 12  # 2 runs x 6
    dead = value(samples, "lineage_projector_events_dead_lettered_total", reason="undecodable")
    assert dead == 1


def test_lineage_up_serves_the_projectors_metrics(service: Service) -> None:
    url = f"{service.api_url}/metrics"
    before = value(scrape(url), "lineage_projector_applied_sequence")
    last = asyncio.run(_publish_good_and_bad(service.nats_url))
    samples = wait_for(lambda: _caught_up(url, last), what="applied_sequence on /metrics")
    assert before != value(samples, "lineage_projector_applied_sequence")  # type: ignore[arg-type]
    _assert_documented(url, samples)  # type: ignore[arg-type]
    lag = wait_for(lambda: value(scrape(url), "lineage_projector_lag") == 0, what="lag back to 0")
    assert lag
    # one family per name: the API's lag and the projector's do not both appear
    assert httpx.get(url, timeout=5).text.count("# TYPE lineage_projector_lag ") == 1


def test_lineage_projector_serves_metrics_on_its_port(
    nats_url: str, database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_projector(
        nats_url, database_url, tmp_path / "projector.log", {"LINEAGE_METRICS_PORT": str(port)}
    )
    try:
        wait_for(
            lambda: httpx.get(f"{base}/healthz", timeout=1).status_code == 200,
            what="/healthz of `lineage projector`",
        )
        last = asyncio.run(_publish_good_and_bad(nats_url))
        samples = wait_for(
            lambda: _caught_up(f"{base}/metrics", last), what="applied_sequence on /metrics"
        )
        _assert_documented(f"{base}/metrics", samples)  # type: ignore[arg-type]
        wait_for(
            lambda: value(scrape(f"{base}/metrics"), "lineage_projector_lag") == 0,
            what="lag back to 0",
        )
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    assert proc.returncode == 0, (tmp_path / "projector.log").read_text()
