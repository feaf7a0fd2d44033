"""The explorer's watch panel (docs/reference/watches.md) in Debian's chromium with every
off-machine request aborted: "Watch changes" on a dataset opens a live panel over the
`lineageChanges` subscription, and a nightly run that rewrites the dataset shows there
as it becomes queryable, newest first.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.browser import OfflinePage, chromium, skip_without_chromium
from tests.support.projector import delete_streams
from tests.support.servers import NatsServer, PostgresServer
from tests.support.service import Service, start_service

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

DATA = "postgres://warehouse:5432"
LIVE_WITHIN = 10.0  # docs/reference/watches.md: 5 s on a quiet service; this one is shared
RUN_NAME = "shop/nightly.orders v1 run"


def _run(key: str, at: datetime, fields: list[str], end: str = "COMPLETE") -> list[Any]:
    run_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"tests:explorer-watch/{key}"))
    schema = {
        "_producer": "https://example.org/tests/explorer",
        "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json",
        "fields": [{"name": f, "type": "int"} for f in fields],
    }
    out = {"namespace": DATA, "name": "public.orders", "facets": {"schema": schema}}

    def event(kind: str, when: datetime, outputs: list[Any]) -> Any:
        return {
            "eventType": kind,
            "eventTime": when.isoformat(),
            "producer": "https://example.org/tests/explorer",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "job": {"namespace": "shop", "name": "nightly.orders"},
            "run": {"runId": run_id},
            "inputs": [{"namespace": DATA, "name": "public.raw_orders"}],
            "outputs": outputs,
        }

    return [event("START", at, []), event(end, at + timedelta(minutes=5), [out])]


@dataclass
class Watched:
    service: Service
    tab: OfflinePage
    orders: str

    def post(self, events: list[Any]) -> None:
        with httpx.Client(base_url=self.service.api_url) as client:
            for event in events:
                assert client.post("/api/v1/lineage", json=event).status_code in (200, 201)


@pytest.fixture(scope="module")
def watched(
    nats_server: NatsServer,
    postgres_server: PostgresServer,
    template_database: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Watched]:
    skip_without_chromium()
    nats_server.start()
    asyncio.run(delete_streams(nats_server.url))
    database = asyncio.run(postgres_server.create_database(template=template_database))
    home = tmp_path_factory.mktemp("watch")
    service = start_service(nats_server.url, postgres_server.url_for(database), home)
    try:
        first = datetime.now(UTC) - timedelta(days=1)
        with chromium() as browser:
            tab = OfflinePage(browser, viewport=(1400, 900))
            ui = Watched(service, tab, "")
            ui.post(_run("night-0", first, ["order_id", "amount"]))
            query = '{ dobjects(filter: {name: "public.orders"}) { nodes { id } } }'
            with httpx.Client(base_url=service.api_url) as client:
                tip = client.post(
                    "/graphql", json={"query": "{ projectionStatus { streamSequence } }"}
                ).json()["data"]["projectionStatus"]["streamSequence"]
                found = client.post(
                    "/graphql",
                    json={"query": query},
                    headers={"X-Lineage-Min-Sequence": str(tip)},
                ).json()
            ui.orders = found["data"]["dobjects"]["nodes"][0]["id"]
            yield ui
            assert tab.blocked == [], f"the page asked for off-machine URLs: {tab.blocked}"
            assert tab.errors == [], f"errors in the page: {tab.errors}"
            tab.close()
    finally:
        service.stop()
        asyncio.run(postgres_server.drop_database(database))


def test_watch_a_dataset_and_see_a_rewrite_arrive(watched: Watched) -> None:
    page = watched.tab.page
    page.goto(f"{watched.service.api_url}/ui/dobject/{watched.orders}?direction=UPSTREAM")
    page.locator("#details h2", has_text="public.orders").wait_for()
    panel = page.locator("#watch-panel")
    assert panel.is_hidden()
    page.locator("#details .watch-button").click()
    page.locator("#watch-panel[data-live=live]").wait_for()
    assert panel.get_attribute("data-root-id") == watched.orders
    assert "Watching public.orders" in panel.inner_text()
    assert "upstream, 2 hops deep" in panel.inner_text()  # the view's direction and depth
    watched.post(_run("night-1", datetime.now(UTC), ["order_id", "amount_usd"]))
    sent = time.monotonic()
    completed = panel.locator("li[data-kind=RUN_COMPLETED]", has_text=RUN_NAME)
    completed.wait_for(timeout=LIVE_WITHIN * 1000)
    new_version = panel.locator("li[data-kind=NEW_VERSION]", has_text="public.orders")
    new_version.wait_for(timeout=LIVE_WITHIN * 1000)
    assert time.monotonic() - sent < LIVE_WITHIN
    assert RUN_NAME in new_version.inner_text()  # its writer
    assert "this node" in new_version.inner_text()  # distance 0: the watched root
    sequences = [
        int(s) for s in panel.locator("li").evaluate_all("l => l.map(e => e.dataset.sequence)")
    ]
    assert sequences == sorted(sequences, reverse=True), "newest first, in sequence order"
    assert page.locator("#watch-panel .watch-empty").is_hidden()
    watched.tab.shot("40-watch-panel")


def test_a_failed_run_upstream_shows_and_close_ends_the_watch(watched: Watched) -> None:
    page = watched.tab.page
    panel = page.locator("#watch-panel")
    watched.post(_run("night-2", datetime.now(UTC), ["order_id", "amount_usd"], end="FAIL"))
    panel.locator("li[data-kind=RUN_FAILED]", has_text=RUN_NAME).wait_for(
        timeout=LIVE_WITHIN * 1000
    )
    panel.locator(".watch-close").click()
    panel.wait_for(state="hidden")
    assert page.locator("#watch-panel li").count() == 0
