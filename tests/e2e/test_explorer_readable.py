"""The explorer's graph is readable as a user first sees it (docs/explorer.md): a dbt-like
lineage (three staging models whose run names share a long prefix, then a mart) opened
in Debian's chromium at 1400x900 with every off-machine request aborted.

- The three staging runs get distinct visible labels (the shared prefix is dropped or the
  middle cut, never the end), each fits its box, and the full name is on hover (`title`)
  and in the text list.
- On open the graph is fitted to its panel: its bounding box fills most of the panel
  in one dimension and labels are at least 11 px on screen; after the user zooms, a
  redraw keeps the user's zoom.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.support.browser import OfflinePage, chromium, skip_without_chromium
from tests.support.projector import delete_streams
from tests.support.servers import NatsServer, PostgresServer
from tests.support.service import Service, start_service

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

JOBS = "rc_dbt"
DATA = "duckdb:///data/jaffle.duckdb"
STAGING = ("stg_customers", "stg_orders", "stg_payments")
CUSTOMERS = '{ dobjects(filter: {name: "jaffle.main.customers"}) { nodes { id } } }'
READABLE_PX = 11.0  # the smallest label size on screen we accept after fitting


def _event(kind: str, job: str, run_id: str, at: datetime, ins: list[str], outs: list[str]) -> Any:
    return {
        "eventType": kind,
        "eventTime": at.isoformat(),
        "producer": "https://example.org/tests/explorer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "job": {"namespace": JOBS, "name": job},
        "run": {"runId": run_id},
        "inputs": [{"namespace": DATA, "name": f"jaffle.main.{n}"} for n in ins],
        "outputs": [{"namespace": DATA, "name": f"jaffle.main.{n}"} for n in outs],
    }


def _dbt_like_events() -> list[Any]:
    """3 raw tables -> 3 staging runs -> 3 staging tables -> 1 mart run -> customers."""
    t = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    events: list[Any] = []
    for i, model in enumerate(STAGING):
        run = str(uuid.uuid5(uuid.NAMESPACE_URL, f"tests:explorer-readable/{model}"))
        raw = model.replace("stg_", "raw_")
        job = f"jaffle.main.jaffle.{model}"
        events.append(_event("START", job, run, t + timedelta(seconds=i), [raw], []))
        events.append(
            _event("COMPLETE", job, run, t + timedelta(seconds=i, milliseconds=500), [raw], [model])
        )
    mart = str(uuid.uuid5(uuid.NAMESPACE_URL, "tests:explorer-readable/customers"))
    at = t + timedelta(seconds=10)
    events.append(_event("START", "jaffle.main.jaffle.customers", mart, at, list(STAGING), []))
    done = at + timedelta(seconds=1)
    events.append(
        _event("COMPLETE", "jaffle.main.jaffle.customers", mart, done, list(STAGING), ["customers"])
    )
    return events


@dataclass
class Graph:
    service: Service
    tab: OfflinePage
    customers: str


@pytest.fixture(scope="module")
def graph(
    nats_server: NatsServer,
    postgres_server: PostgresServer,
    template_database: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Graph]:
    skip_without_chromium()
    nats_server.start()
    asyncio.run(delete_streams(nats_server.url))
    database = asyncio.run(postgres_server.create_database(template=template_database))
    service = start_service(
        nats_server.url, postgres_server.url_for(database), tmp_path_factory.mktemp("readable")
    )
    try:
        with httpx.Client(base_url=service.api_url) as client:
            for event in _dbt_like_events():
                assert client.post("/api/v1/lineage", json=event).status_code in (200, 201)
            tip = client.post("/graphql", json={"query": "{ projectionStatus { streamSequence } }"})
            sequence = tip.json()["data"]["projectionStatus"]["streamSequence"]
            found = client.post(
                "/graphql",
                json={"query": CUSTOMERS},
                headers={"X-Lineage-Min-Sequence": str(sequence)},
            ).json()
        customers = found["data"]["dobjects"]["nodes"][0]["id"]
        with chromium() as browser:
            tab = OfflinePage(browser, viewport=(1400, 900))
            yield Graph(service, tab, customers)
            assert tab.blocked == [], f"the page asked for off-machine URLs: {tab.blocked}"
            assert tab.errors == [], f"errors in the page: {tab.errors}"
            tab.close()
    finally:
        service.stop()
        asyncio.run(postgres_server.drop_database(database))


def _open(graph: Graph) -> Page:
    page = graph.tab.page
    page.goto(f"{graph.service.api_url}/ui/dobject/{graph.customers}?depth=4")
    page.locator("#node-list li[data-node-id]").nth(10).wait_for()
    page.locator(".graph-svg .node").nth(10).wait_for()
    return page


# the graph's nodes as drawn: visible label, hover title, box and text extents on screen
NODES_JS = """() => [...document.querySelectorAll('.graph-svg .node')].map((g) => {
  const text = g.querySelector('text'), rect = g.querySelector('rect');
  const r = rect.getBoundingClientRect(), t = text.getBoundingClientRect();
  return { id: g.dataset.graphId, label: text.textContent,
           title: g.querySelector('title').textContent,
           box: [r.left, r.top, r.right, r.bottom], textRight: t.right, textLeft: t.left,
           fontPx: parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a };
})"""
PANEL_JS = """() => { const r = document.getElementById('graph').getBoundingClientRect();
  return [r.left, r.top, r.right, r.bottom]; }"""


def test_runs_with_a_long_shared_prefix_have_distinct_visible_labels(graph: Graph) -> None:
    page = _open(graph)
    nodes = page.evaluate(NODES_JS)
    assert len(nodes) == 11
    staging = [n for n in nodes if n["title"].startswith(f"{JOBS}/jaffle.main.jaffle.stg_")]
    assert len(staging) == 3, [n["title"] for n in nodes]
    labels = [n["label"] for n in staging]
    assert len(set(labels)) == 3, labels
    for model in STAGING:  # the part that tells them apart is what shows
        assert sum(model in label for label in labels) == 1, (model, labels)
    for n in nodes:
        assert n["textRight"] <= n["box"][2] + 0.5, f"{n['label']!r} runs out of its box"
    # the full name stays on hover and in the list
    titles = {n["title"] for n in staging}
    assert titles == {f"{JOBS}/jaffle.main.jaffle.{m} v1 run, completed" for m in STAGING}
    names = page.locator("#node-list li[data-node-id] .node-name").all_inner_texts()
    assert {f"{JOBS}/jaffle.main.jaffle.{m} v1 run" for m in STAGING} <= set(names)
    graph.tab.shot("20-readable-labels")


def test_the_graph_is_fitted_to_its_panel_on_open_and_readable(graph: Graph) -> None:
    page = _open(graph)
    nodes = page.evaluate(NODES_JS)
    left, top, right, bottom = page.evaluate(PANEL_JS)
    x0 = min(n["box"][0] for n in nodes)
    y0 = min(n["box"][1] for n in nodes)
    x1 = max(n["box"][2] for n in nodes)
    y1 = max(n["box"][3] for n in nodes)
    assert left <= x0, "part of the graph is outside"
    assert x1 <= right, "part of the graph is outside"
    assert top <= y0, "part of the graph is outside"
    assert y1 <= bottom, "part of the graph is outside"
    width_share = (x1 - x0) / (right - left)
    height_share = (y1 - y0) / (bottom - top)
    assert max(width_share, height_share) >= 0.8, (width_share, height_share)
    # centred: the margins on each side of the filled dimension differ by a few pixels
    if width_share >= height_share:
        assert abs((x0 - left) - (right - x1)) < 8
    else:
        assert abs((y0 - top) - (bottom - y1)) < 8
    smallest = min(n["fontPx"] for n in nodes)
    assert smallest >= READABLE_PX, f"labels are {smallest:.1f} px on screen"
    graph.tab.shot("21-fitted-on-open")


FONT_JS = """() => { const t = document.querySelector('.graph-svg .node text');
  return parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a; }"""


def test_zoom_stays_the_users_when_a_run_arrives_live(graph: Graph) -> None:
    page = _open(graph)
    page.locator("body[data-live=live]").wait_for()
    fitted = page.evaluate(FONT_JS)
    box = page.locator("#graph").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -300)  # the user zooms in
    page.wait_for_function(f"() => ({FONT_JS})() > {fitted} * 1.2")
    zoomed = page.evaluate(FONT_JS)
    # a run that reads customers arrives live: the graph grows, the user's zoom stays
    report = str(uuid.uuid4())
    at = datetime.now(UTC)
    with httpx.Client(base_url=graph.service.api_url) as client:
        event = _event("START", "jaffle.main.jaffle.report", report, at, ["customers"], [])
        assert client.post("/api/v1/lineage", json=event).status_code in (200, 201)
    page.locator(f'.graph-svg .node[data-graph-id="{report}"]').wait_for(timeout=10_000)
    assert abs(page.evaluate(FONT_JS) - zoomed) < 0.01
    page.locator("#fit").click()  # and one click fits it again
    page.wait_for_function(f"() => ({FONT_JS})() < {zoomed} * 0.9")
    graph.tab.shot("22-fit-again")
