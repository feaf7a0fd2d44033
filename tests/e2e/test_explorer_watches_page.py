"""The explorer's page of durable watches (/ui/watches, docs/reference/watches.md) in
Debian's chromium with every off-machine request aborted, against `lineage up` with
tokens on: a `read` token is told the page is for admin tokens; an `admin` token sees
each watch's delivery counts and last failure (a receiver that answers 503 is given up
on), and a watch's latest deliveries.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from lineage_core import tokens
from lineage_core.db.engine import create_engine
from lineage_read.watches import create_watch
from projector.store import asyncpg_dsn
from tests.support.browser import OfflinePage, chromium, skip_without_chromium
from tests.support.projector import delete_streams
from tests.support.servers import NatsServer, PostgresServer
from tests.support.service import Service, start_service

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ADMIN = "watches-admin-s3cret"  # LINEAGE_API_TOKEN: every scope
DATA = "postgres://warehouse:5432"
PRODUCER = "https://example.org/tests/explorer"
SETTLE_SECONDS = 60.0


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


def _receiver(status: int) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    server.status = status  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _events(key: str, at: datetime, end: str = "COMPLETE") -> list[Any]:
    run_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"tests:explorer-watches/{key}"))

    def event(kind: str, when: datetime, outputs: list[Any]) -> Any:
        return {
            "eventType": kind,
            "eventTime": when.isoformat(),
            "producer": PRODUCER,
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "job": {"namespace": "shop", "name": "nightly.orders"},
            "run": {"runId": run_id},
            "inputs": [{"namespace": DATA, "name": "public.raw_orders"}],
            "outputs": outputs,
        }

    out = {"namespace": DATA, "name": "public.orders"}
    return [event("START", at, []), event(end, at + timedelta(minutes=5), [out])]


@dataclass
class Admin:
    service: Service
    tab: OfflinePage
    reader: str
    orders: str = ""

    def ask(self, query: str, **variables: Any) -> Any:
        with httpx.Client(
            base_url=self.service.api_url, headers={"Authorization": f"Bearer {ADMIN}"}
        ) as client:
            return client.post("/graphql", json={"query": query, "variables": variables}).json()

    def post(self, events: list[Any]) -> int:
        with httpx.Client(
            base_url=self.service.api_url, headers={"Authorization": f"Bearer {ADMIN}"}
        ) as client:
            for event in events:
                assert client.post("/api/v1/lineage", json=event).status_code in (200, 201)
            tip = client.post("/graphql", json={"query": "{ projectionStatus { streamSequence } }"})
        return int(tip.json()["data"]["projectionStatus"]["streamSequence"])


def _orders(admin: Admin) -> str:
    """public.orders' id, once the projection has it."""
    query = '{ dobjects(filter: {name: "public.orders"}) { nodes { id } } }'
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        nodes = admin.ask(query)["data"]["dobjects"]["nodes"]
        if nodes:
            return str(nodes[0]["id"])
        assert time.monotonic() < deadline, "public.orders was not projected"
        time.sleep(0.2)


async def _setup(database_url: str, orders: str, hooks: dict[str, str]) -> str:
    import asyncpg

    engine = create_engine(database_url, pool_size=1)
    try:
        reader = await tokens.create_token(engine, "viewer", ["read"])
    finally:
        await engine.dispose()
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        root = uuid.UUID(orders)
        await create_watch(
            conn, "orders-to-warehouse", url=hooks["ok"], root_kind="DOBJECT", root_id=root
        )
        await create_watch(
            conn,
            "orders-to-pager",
            url=hooks["down"],
            kinds=["NEW_VERSION", "RUN_FAILED"],
            root_kind="DOBJECT",
            root_id=root,
        )
    finally:
        await conn.close()
    return reader


@pytest.fixture(scope="module")
def admin(
    nats_server: NatsServer,
    postgres_server: PostgresServer,
    template_database: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Admin]:
    skip_without_chromium()
    nats_server.start()
    asyncio.run(delete_streams(nats_server.url))  # a fresh database, a fresh stream
    database = asyncio.run(postgres_server.create_database(template=template_database))
    database_url = postgres_server.url_for(database)
    home = tmp_path_factory.mktemp("watches")
    env = {
        "LINEAGE_API_TOKEN": ADMIN,
        # a receiver that keeps failing is given up on within seconds, not a day
        "LINEAGE_WATCH_RETRY_SECONDS": "3",
        "LINEAGE_WATCH_BACKOFF_MAX_SECONDS": "0.5",
    }
    ok, down = _receiver(200), _receiver(503)
    hooks = {
        "ok": f"http://127.0.0.1:{ok.server_address[1]}/hook",
        "down": f"http://127.0.0.1:{down.server_address[1]}/pager",
    }
    service = start_service(nats_server.url, database_url, home, extra_env=env)
    try:
        ui = Admin(service, None, "")  # type: ignore[arg-type]
        ui.post(_events("night-0", datetime.now(UTC) - timedelta(days=1)))
        ui.orders = _orders(ui)
        # before the browser: playwright's sync API keeps an event loop running
        ui.reader = asyncio.run(_setup(database_url, ui.orders, hooks))
        ui.post(_events("night-1", datetime.now(UTC) - timedelta(hours=1)))
        ui.post(_events("night-2", datetime.now(UTC), end="FAIL"))
        with chromium() as browser:
            tab = OfflinePage(browser, viewport=(1400, 800))
            ui.tab = tab
            yield ui
            assert tab.blocked == [], f"the page asked for off-machine URLs: {tab.blocked}"
            assert tab.errors == [], f"errors in the page: {tab.errors}"
            tab.close()
    finally:
        service.stop()
        for receiver in (ok, down):
            receiver.shutdown()
            receiver.server_close()
        asyncio.run(postgres_server.drop_database(database))


def _settled(admin: Admin) -> dict[str, Any]:
    """The watches once nothing is pending (every delivery delivered or given up)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        watches = admin.ask("{ watches { name delivered pending failed } }")["data"]["watches"]
        by_name = {w["name"]: w for w in watches}
        if (
            len(by_name) == 2
            and all(w["pending"] == 0 for w in watches)
            and by_name["orders-to-warehouse"]["delivered"] >= 3
            and by_name["orders-to-pager"]["failed"] >= 2
        ):
            return by_name
        assert time.monotonic() < deadline, f"deliveries did not settle: {watches}"
        time.sleep(0.5)


def test_a_read_token_is_told_the_page_is_for_admins(admin: Admin) -> None:
    page = admin.tab.page
    page.goto(f"{admin.service.api_url}/ui/watches")
    prompt = page.locator("#token-dialog input[type=password]")
    prompt.wait_for(state="visible")
    prompt.fill(admin.reader)
    prompt.press("Enter")
    note = page.locator('#watches-note[data-kind="forbidden"]')
    note.wait_for()
    assert "admin tokens only" in note.inner_text()
    assert page.locator("#watches-table").is_hidden()
    assert page.locator("#watches-body tr").count() == 0
    admin.tab.shot("50-watches-not-admin")


def test_an_admin_sees_counts_and_last_failures(admin: Admin) -> None:
    settled = _settled(admin)
    page = admin.tab.page
    page.locator("#watches-note button", has_text="Use another token").click()
    prompt = page.locator("#token-dialog input[type=password]")
    prompt.wait_for(state="visible")
    prompt.fill(ADMIN)
    prompt.press("Enter")
    rows = page.locator("#watches-body tr")
    rows.first.wait_for()
    assert rows.evaluate_all("r => r.map(e => e.dataset.watch)") == [
        "orders-to-pager",
        "orders-to-warehouse",
    ]
    good = page.locator('#watches-body tr[data-watch="orders-to-warehouse"]')
    bad = page.locator('#watches-body tr[data-watch="orders-to-pager"]')
    cell = "td.count.{}"
    for row, name in ((good, "orders-to-warehouse"), (bad, "orders-to-pager")):
        for kind in ("delivered", "pending", "failed"):
            assert row.locator(cell.format(kind)).inner_text() == str(settled[name][kind])
    assert "public.orders" in good.inner_text()
    assert "none" in good.locator(".muted", has_text="none").inner_text()
    failure = bad.locator(".watch-failure")
    assert "HTTP 503" in failure.inner_text()
    assert "given up" in failure.inner_text()
    assert "failed deliveries" in page.locator("#watches-note").inner_text()
    admin.tab.shot("51-watches-admin")

    bad.locator(".deliveries-button").click()
    panel = page.locator('#watch-deliveries[data-watch="orders-to-pager"] table.deliveries')
    panel.wait_for()
    states = panel.locator("tr[data-state]").evaluate_all("r => r.map(e => e.dataset.state)")
    assert states
    assert set(states) == {"FAILED"}
    assert "HTTP 503" in panel.inner_text()
    admin.tab.shot("52-watch-deliveries")
