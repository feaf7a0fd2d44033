"""Dataset versions in the explorer (docs/reference/versions.md), in Debian's chromium with
every off-machine request aborted: a table rewritten by three nightly runs (the last
changes its schema), a report made from the first version (stale now) and a summary made
from the last (not stale).

- The table's node says "3 versions"; the report's node and list item are marked stale,
  the summary's are not.
- The details panel lists the versions newest first: number, run, time, hash, size and
  the fields added or removed since the one before.
- `/ui/version/<id>` opens the graph pinned to that version (what fed it and what was made
  from it), keeps `direction`/`depth` in the URL, and a version's own panel says which
  version is current.
"""

from __future__ import annotations

import asyncio
import re
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

JOBS = "shop"
DATA = "postgres://warehouse:5432"
NIGHT = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
OLD_FIELDS = [("order_id", "int"), ("amount", "int")]
NEW_FIELDS = [("order_id", "int"), ("amount_usd", "decimal"), ("customer_id", "int")]


def _dataset(name: str, fields: list[tuple[str, str]] | None = None) -> Any:
    facets = {}
    if fields:
        facets["schema"] = {
            "_producer": "https://example.org/tests/explorer",
            "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json",
            "fields": [{"name": n, "type": t} for n, t in fields],
        }
    return {"namespace": DATA, "name": name, "facets": facets}


def _run(job: str, key: str, at: datetime, ins: list[Any], outs: list[Any]) -> list[Any]:
    run_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"tests:explorer-versions/{key}"))

    def event(kind: str, when: datetime, outputs: list[Any]) -> Any:
        return {
            "eventType": kind,
            "eventTime": when.isoformat(),
            "producer": "https://example.org/tests/explorer",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "job": {"namespace": JOBS, "name": job},
            "run": {"runId": run_id},
            "inputs": ins,
            "outputs": outputs,
        }

    return [event("START", at, []), event("COMPLETE", at + timedelta(minutes=5), outs)]


def _events() -> list[Any]:
    raw = _dataset("public.raw_orders")
    events: list[Any] = []
    for night in range(3):
        fields = NEW_FIELDS if night == 2 else OLD_FIELDS
        at = NIGHT + timedelta(days=night)
        events += _run(
            "nightly.orders", f"night-{night}", at, [raw], [_dataset("public.orders", fields)]
        )
    orders = _dataset("public.orders")
    # the weekly report read the first version; the summary read the last one
    events += _run(
        "weekly.report", "report", NIGHT + timedelta(hours=4), [orders], [_dataset("public.report")]
    )
    later = NIGHT + timedelta(days=2, hours=4)
    events += _run("daily.summary", "summary", later, [orders], [_dataset("public.summary")])
    return events


IDS = """{ orders: dobjects(filter: {name: "public.orders"}) { nodes { id
             versions { nodes { id number } } } }
           report: dobjects(filter: {name: "public.report"}) { nodes { id } }
           summary: dobjects(filter: {name: "public.summary"}) { nodes { id } } }"""


@dataclass
class Versions:
    service: Service
    tab: OfflinePage
    orders: str
    report: str
    summary: str
    version_ids: dict[int, str]  # number -> id


def _query(client: httpx.Client, query: str) -> Any:
    tip = client.post("/graphql", json={"query": "{ projectionStatus { streamSequence } }"})
    sequence = tip.json()["data"]["projectionStatus"]["streamSequence"]
    answer = client.post(
        "/graphql", json={"query": query}, headers={"X-Lineage-Min-Sequence": str(sequence)}
    ).json()
    assert "errors" not in answer, answer
    return answer["data"]


@pytest.fixture(scope="module")
def versions(
    nats_server: NatsServer,
    postgres_server: PostgresServer,
    template_database: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Versions]:
    skip_without_chromium()
    nats_server.start()
    asyncio.run(delete_streams(nats_server.url))
    database = asyncio.run(postgres_server.create_database(template=template_database))
    home = tmp_path_factory.mktemp("versions")
    service = start_service(nats_server.url, postgres_server.url_for(database), home)
    try:
        with httpx.Client(base_url=service.api_url) as client:
            fields = _query(client, '{ __type(name: "Query") { fields { name } } }')
            if "dobjectVersion" not in {f["name"] for f in fields["__type"]["fields"]}:
                pytest.skip("this API has no dataset versions yet (docs/reference/versions.md)")
            for event in _events():
                assert client.post("/api/v1/lineage", json=event).status_code in (200, 201)
            ids = _query(client, IDS)
        orders = ids["orders"]["nodes"][0]
        with chromium() as browser:
            tab = OfflinePage(browser, viewport=(1400, 900))
            yield Versions(
                service,
                tab,
                orders["id"],
                ids["report"]["nodes"][0]["id"],
                ids["summary"]["nodes"][0]["id"],
                {v["number"]: v["id"] for v in orders["versions"]["nodes"]},
            )
            assert tab.blocked == [], f"the page asked for off-machine URLs: {tab.blocked}"
            assert tab.errors == [], f"errors in the page: {tab.errors}"
            tab.close()
    finally:
        service.stop()
        asyncio.run(postgres_server.drop_database(database))


def _item(page: Page, node_id: str) -> Any:
    return page.locator(f'#node-list li[data-node-id="{node_id}"]')


def _node(page: Page, node_id: str) -> Any:
    return page.locator(f'.graph-svg .node[data-graph-id="{node_id}"]')


def test_version_count_and_stale_downstream_on_the_graph(versions: Versions) -> None:
    page = versions.tab.page
    page.goto(f"{versions.service.api_url}/ui/dobject/{versions.orders}")
    _item(page, versions.report).wait_for()
    _item(page, versions.summary).wait_for()
    assert "3 versions" in (_node(page, versions.orders).text_content() or "")
    assert "3 versions" in _item(page, versions.orders).inner_text()
    # the report was made from v1, no longer current; the summary from v3
    assert "stale" in (_node(page, versions.report).get_attribute("class") or "").split()
    assert "stale" in _item(page, versions.report).inner_text()
    assert "stale" not in (_node(page, versions.summary).get_attribute("class") or "").split()
    assert "stale" not in _item(page, versions.summary).inner_text()
    assert "stale" in (_node(page, versions.report).get_attribute("aria-label") or "")
    # every writer of the table is upstream of it: the three nightly runs
    names = page.locator("#node-list .node-name").all_inner_texts()
    assert names.count("shop/nightly.orders v1 run") == 3


def test_the_details_panel_lists_the_versions(versions: Versions) -> None:
    page = versions.tab.page
    rows = page.locator("#details table.versions tr[data-version-id]")
    rows.nth(2).wait_for()
    assert rows.count() == 3
    newest, middle, oldest = (rows.nth(i) for i in range(3))
    assert newest.get_attribute("data-version-id") == versions.version_ids[3]
    assert "v3" in newest.inner_text()
    assert "current" in newest.inner_text()
    assert "shop/nightly.orders v1 run" in newest.inner_text()
    # the schema change of the last night, and none before it
    changes = newest.locator(".field-changes").inner_text()
    assert "+amount_usd" in changes
    assert "+customer_id" in changes
    assert "\u2212amount" in changes  # a minus sign
    assert "order_id" not in changes
    assert "same fields" in middle.locator(".field-changes").inner_text()
    assert "2 fields" in oldest.locator(".field-changes").inner_text()
    assert "2026" in oldest.inner_text()  # its time
    headers = page.locator("#details table.versions tr").first.inner_text()
    for column in ("#", "run", "created", "hash", "size", "fields"):
        assert column in headers
    page.locator("#details table.versions").scroll_into_view_if_needed()
    versions.tab.shot("30-versions-of-a-dataset")  # docs/explorer-versions.png


def test_a_stale_node_says_what_made_it_stale(versions: Versions) -> None:
    page = versions.tab.page
    _item(page, versions.report).locator("button").click()
    details = page.locator("#details")
    details.locator("h2", has_text="public.report").wait_for()
    note = details.locator(".stale-note", has_text="made from")
    note.wait_for()
    assert note.locator("a", has_text="public.orders v1").count() == 1


def test_a_version_opens_a_version_pinned_graph(versions: Versions) -> None:
    page = versions.tab.page
    page.locator("#node-list li[data-node-id] button", has_text="public.orders").first.click()
    v1 = versions.version_ids[1]
    row = page.locator(f'#details table.versions tr[data-version-id="{v1}"]')
    link = row.get_by_role("link", name="v1", exact=True)
    link.click()
    page.wait_for_url(re.compile(f"/ui/version/{v1}$"))
    _item(page, v1).wait_for()
    names = set(page.locator("#node-list .node-name").all_inner_texts())
    # what fed v1 (its night's run, the raw table) and what was made from it (the report)
    assert {"public.orders v1", "shop/nightly.orders v1 run", "shop/weekly.report v1 run"} <= names
    assert "shop/daily.summary v1 run" not in names  # it read v3, not v1
    assert "version" in _item(page, v1).locator(".node-kind").inner_text()
    details = page.locator("#details")
    details.locator("h2", has_text="public.orders v1").wait_for()
    assert "current: v3" in details.inner_text()
    versions.tab.shot("31-version-pinned-graph")
    # the view settings are kept in the URL like every deep link, and a reload keeps them
    page.locator("#direction").select_option("UPSTREAM")
    page.wait_for_url(re.compile(f"/ui/version/{v1}\\?direction=UPSTREAM$"))
    _item(page, v1).wait_for()
    page.locator("#node-list .node-name", has_text="weekly.report").wait_for(state="detached")
    page.reload()
    _item(page, v1).wait_for()
    assert (
        "shop/weekly.report v1 run" not in page.locator("#node-list .node-name").all_inner_texts()
    )
    assert page.locator("#direction").input_value() == "UPSTREAM"


def test_the_version_route_is_served(versions: Versions) -> None:
    url = f"{versions.service.api_url}/ui/version/{versions.version_ids[2]}?depth=3"
    page = httpx.get(url)
    assert page.status_code == 200
    assert "/ui/static/explorer.js" in page.text
