"""The admin GraphQL fields of durable watches (`watches`, `watchDeliveries`) against a
real projector delivering to real receivers, Postgres and nats-server: the counts and
last failure `lineage watch list` shows, for `admin` tokens only (docs/reference/watches.md)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from lineage_core import tokens
from lineage_core.db.engine import create_engine
from lineage_core.settings import Settings
from tests.support.projector import projector_running
from tests.support.served import acked, served_app, ws_init
from tests.support.service import lineage_command
from tests.support.waiting import wait_until
from tests.support.watch_story import Story, uid
from tests.support.watch_webhooks import summary, tell, watch
from tests.support.webhook import Receiver

pytestmark = pytest.mark.integration

WATCHES = """{ watches { id name rootKind rootId direction depth kinds url delivered pending
  failed lastFailure { at error httpStatus deliveryId givenUp } dobject { name } run { id } } }"""
DELIVERIES = """query($id: ID!, $failed: Boolean!, $last: Int!) {
  watchDeliveries(watchId: $id, failedOnly: $failed, last: $last) {
    id state attempts lastError httpStatus finishedAt
    change { kind sequence distance dobject { name } run { name } } } }"""


@pytest.fixture
async def projector(nats_url: str, database_url: str) -> AsyncIterator[None]:
    # a receiver that keeps failing is given up on after about a second
    settings = Settings(
        nats_url=nats_url,
        database_url=database_url,
        watch_retry_seconds=1.0,
        watch_backoff_max_seconds=0.2,
    )
    async with projector_running(settings):
        yield


async def _token(database_url: str, name: str, scope: str) -> str:
    engine = create_engine(database_url, pool_size=1)
    try:
        return await tokens.create_token(engine, name, [scope])
    finally:
        await engine.dispose()


async def _ask(url: str, token: str, query: str, **variables: Any) -> Any:
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        answer = await client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _watch_list(database_url: str) -> dict[str, str]:
    """`lineage watch list`'s rows by watch name."""
    done = await asyncio.to_thread(
        subprocess.run,
        [*lineage_command(), "watch", "list"],
        env={**os.environ, "LINEAGE_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return {line.split()[0]: line for line in done.stdout.splitlines()[1:]}


def _code(body: Any) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def test_admins_see_each_watchs_counts_and_last_failure(
    projector: None, nats_url: str, database_url: str
) -> None:
    s = Story()
    await tell(nats_url, database_url, s.start("r0") + s.write("r0", "a", hash="h1"))
    good, bad = Receiver(), Receiver(status=503)
    await good.start()
    await bad.start()
    root = {"root_kind": "DOBJECT", "root_id": uid("dobject/a")}
    await watch(database_url, "good", good.url, **root)
    await watch(database_url, "bad", bad.url, kinds=["NEW_VERSION"], **root)
    # r1: a new version of a, completed -> good gets 2 (r1 joins the graph after its
    # start: no RUN_STARTED), bad 1 (NEW_VERSION only)
    await tell(
        nats_url, database_url, s.start("r1") + s.write("r1", "a", hash="h2") + s.finish("r1")
    )

    async def settled() -> bool:
        (g, _), (b, _) = await summary(database_url, "good"), await summary(database_url, "bad")
        return (g.delivered, g.pending, b.failed, b.pending) == (2, 0, 1, 0)

    await wait_until(settled, timeout=60, what="good delivered, bad given up")
    admin = await _token(database_url, "root", "admin")
    reader = await _token(database_url, "viewer", "read")
    async with served_app(database_url, nats_url) as (url, _app):
        listed = (await _ask(url, admin, WATCHES))["data"]["watches"]
        by_name = {w["name"]: w for w in listed}
        assert [w["name"] for w in listed] == ["bad", "good"]
        assert {k: by_name["good"][k] for k in ("delivered", "pending", "failed")} == {
            "delivered": 2,
            "pending": 0,
            "failed": 0,
        }
        assert by_name["good"]["lastFailure"] is None
        assert by_name["good"]["kinds"][0] == "NEW_VERSION"
        assert len(by_name["good"]["kinds"]) == 6
        assert (by_name["good"]["rootKind"], by_name["good"]["rootId"]) == (
            "DOBJECT",
            str(uid("dobject/a")),
        )
        assert by_name["good"]["dobject"] == {"name": "a"}
        assert by_name["good"]["run"] is None
        failing = by_name["bad"]
        assert (failing["delivered"], failing["pending"], failing["failed"]) == (0, 0, 1)
        failure = failing["lastFailure"]
        assert (failure["error"], failure["httpStatus"], failure["givenUp"]) == (
            "HTTP 503",
            503,
            True,
        )
        # the same as `lineage watch list` reads, and prints
        (cli_bad, bad_deliveries) = await summary(database_url, "bad")
        listed_by_cli = await _watch_list(database_url)
        assert (
            f"HTTP 503 (given up, {cli_bad.last_failure_at.isoformat(timespec='seconds')})"
            in (listed_by_cli["bad"])
        )
        assert listed_by_cli["good"].endswith(f"{good.url}  -")
        assert failure["deliveryId"] == str(bad_deliveries[0].id)
        assert failure["at"] == cli_bad.last_failure_at.isoformat()
        # when it failed, not when it would next be tried
        failed_at = datetime.fromisoformat(failure["at"])
        assert cli_bad.created_at < failed_at <= datetime.now(UTC)

        got = await _ask(url, admin, DELIVERIES, id=by_name["good"]["id"], failed=False, last=2)
        assert "errors" not in got, got
        newest = got["data"]["watchDeliveries"]
        assert [(d["change"]["kind"], d["state"]) for d in newest] == [
            ("RUN_COMPLETED", "DELIVERED"),
            ("NEW_VERSION", "DELIVERED"),
        ]
        assert newest[1]["change"]["dobject"] == {"name": "a"}
        assert newest[0]["change"]["run"] == {"name": "r1"}
        failed = await _ask(url, admin, DELIVERIES, id=failing["id"], failed=True, last=10)
        [only] = failed["data"]["watchDeliveries"]
        assert (only["state"], only["lastError"], only["httpStatus"]) == ("FAILED", "HTTP 503", 503)
        assert only["attempts"] >= 2
        assert only["finishedAt"] is not None
        assert _code(await _ask(url, admin, DELIVERIES, id="999999", failed=False, last=5)) == (
            "NOT_FOUND"
        )
        assert _code(await _ask(url, admin, DELIVERIES, id="x", failed=False, last=5)) == (
            "BAD_USER_INPUT"
        )
        assert _code(await _ask(url, admin, DELIVERIES, id="1", failed=False, last=0)) == (
            "BAD_USER_INPUT"
        )

        # a read token: FORBIDDEN, no watch shown, on both fields
        refused = await _ask(url, reader, WATCHES)
        assert _code(refused) == "FORBIDDEN"
        assert refused["data"] is None
        no = await _ask(url, reader, DELIVERIES, id=failing["id"], failed=False, last=5)
        assert _code(no) == "FORBIDDEN"

    await good.stop()
    await bad.stop()


async def test_the_admin_fields_over_the_websocket(database_url: str, nats_url: str) -> None:
    admin = await _token(database_url, "root", "admin")
    reader = await _token(database_url, "viewer", "read")
    async with served_app(database_url, nats_url) as (url, _app):
        # the scopes come with connection_init, after the socket's context was made
        for token, allowed in ((reader, False), (admin, True)):
            ws = await ws_init(url, {"Authorization": f"Bearer {token}"})
            assert await acked(ws)
            message = {"id": "1", "type": "subscribe", "payload": {"query": WATCHES}}
            await ws.send(json.dumps(message))
            answer = json.loads(await asyncio.wait_for(ws.recv(), 10))
            await ws.close()
            if allowed:
                assert answer["payload"] == {"data": {"watches": []}}
            else:
                assert answer["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.fixture
async def patient_projector(nats_url: str, database_url: str) -> AsyncIterator[None]:
    # the default backoff: 1 s, 2 s, 4 s, 8 s, ... for a day
    async with projector_running(Settings(nats_url=nats_url, database_url=database_url)):
        yield


async def test_a_retried_deliverys_failure_time_is_when_it_failed(
    patient_projector: None, nats_url: str, database_url: str
) -> None:
    s = Story()
    await tell(nats_url, database_url, s.start("r0") + s.write("r0", "a", hash="h1"))
    down = Receiver(status=500)
    await down.start()
    root = {"root_kind": "DOBJECT", "root_id": uid("dobject/a")}
    await watch(database_url, "retried", down.url, kinds=["NEW_VERSION"], **root)
    await tell(nats_url, database_url, s.start("r1") + s.write("r1", "a", hash="h2"))
    # four failed attempts: the next one is 8 s away
    await wait_until(lambda: len(down.received) >= 4, timeout=60, what="four attempts")
    await asyncio.sleep(0.3)  # the fourth failure recorded
    admin = await _token(database_url, "root", "admin")
    async with served_app(database_url, nats_url) as (url, _app):
        [listed] = (await _ask(url, admin, WATCHES))["data"]["watches"]
    await down.stop()
    assert (listed["pending"], listed["failed"]) == (1, 0)
    failure = listed["lastFailure"]
    assert (failure["error"], failure["httpStatus"], failure["givenUp"]) == ("HTTP 500", 500, False)
    # when the last attempt failed, not when the next one is due
    assert datetime.fromisoformat(failure["at"]) <= datetime.now(UTC)
