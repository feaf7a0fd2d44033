"""`lineageChanges` over graphql-transport-ws against a real uvicorn, projector,
nats-server and Postgres: which changes reach a subscription, once, in order, queryable."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.support.served import served_app, ws_init
from tests.support.waiting import wait_until
from tests.support.watch_story import Story, uid
from tests.support.watch_webhooks import tell

pytestmark = pytest.mark.integration

SUBSCRIBE = """subscription($d: ID, $r: ID, $dir: LineageDirection, $depth: Int,
                            $kinds: [ChangeKind!]) {
  lineageChanges(dobjectId: $d, runId: $r, direction: $dir, depth: $depth, kinds: $kinds) {
    kind sequence occurredAt distance dobject { id } run { id status } } }"""


async def subscribe(base: str, variables: dict[str, Any]) -> Any:
    ws = await ws_init(base)
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    message = {
        "id": "1",
        "type": "subscribe",
        "payload": {"query": SUBSCRIBE, "variables": variables},
    }
    await ws.send(json.dumps(message))
    return ws


def listening(app: Starlette) -> int:
    return len(app.state.startup.resources.changes._listeners)


async def next_change(ws: Any) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    return message["payload"]["data"]["lineageChanges"]  # type: ignore[no-any-return]


async def test_changes_reach_the_subscriptions_of_their_roots_once_in_order(
    projector: None, nats_url: str, database_url: str
) -> None:
    s = Story()
    # raw -> r0 -> a -> r1 -> b, and c (written by rq, not yet started) -> r1
    before = s.load("r0", "raw") + s.start("r0") + s.write("r0", "a")
    before += s.write("rq", "c") + s.start("r1") + s.load("r1", "a") + s.load("r1", "c")
    before += s.write("r1", "b") + s.start("r9")
    await tell(nats_url, database_url, before)
    async with served_app(database_url, nats_url) as (base, app):
        up = await subscribe(base, {"d": str(uid("dobject/b"))})
        failures = await subscribe(base, {"r": str(uid("run/r9")), "kinds": ["RUN_FAILED"]})
        down = await subscribe(
            base, {"d": str(uid("dobject/raw")), "dir": "DOWNSTREAM", "depth": 2}
        )
        await wait_until(lambda: listening(app) == 3, what="three subscriptions listening")
        after = s.finish("r0") + s.finish("r0") + s.finish("r1", "failed")
        after += s.finish("r9", "failed") + s.start("rq")
        await tell(nats_url, database_url, after)
        got = [await next_change(up) for _ in range(3)]
        got_failures = [await next_change(failures)]
        got_down = [await next_change(down)]
        for ws in (up, failures, down):
            await ws.close()
    assert [(c["kind"], c["run"]["id"], c["distance"]) for c in got] == [
        ("RUN_COMPLETED", str(uid("run/r0")), 3),
        ("RUN_FAILED", str(uid("run/r1")), 1),
        ("RUN_STARTED", str(uid("run/rq")), 3),
    ]
    # queryable when sent: the run's status is already the finished one
    assert [c["run"]["status"] for c in got[:2]] == ["COMPLETED", "FAILED"]
    assert [c["sequence"] for c in got] == sorted(c["sequence"] for c in got)
    assert got[0]["dobject"] is None
    assert [(c["kind"], c["distance"]) for c in got_failures] == [("RUN_FAILED", 0)]
    # downstream of raw within 2 hops: r0 (1); r1 is 3 hops away
    assert [(c["kind"], c["run"]["id"], c["distance"]) for c in got_down] == [
        ("RUN_COMPLETED", str(uid("run/r0")), 1)
    ]


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({}, "BAD_USER_INPUT"),
        ({"d": str(uid("dobject/a")), "r": str(uid("run/r0"))}, "BAD_USER_INPUT"),
        ({"d": "not-a-uuid"}, "BAD_USER_INPUT"),
        ({"d": str(uid("dobject/a")), "depth": 0}, "BAD_USER_INPUT"),
        ({"d": str(uid("dobject/nowhere"))}, "NOT_FOUND"),
        ({"r": str(uid("run/nowhere"))}, "NOT_FOUND"),
    ],
)
async def test_bad_arguments_are_refused(
    projector: None, nats_url: str, database_url: str, variables: dict[str, Any], code: str
) -> None:
    s = Story()
    await tell(nats_url, database_url, s.start("r0") + s.write("r0", "a"))
    async with served_app(database_url, nats_url) as (base, _app):
        ws = await subscribe(base, variables)
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        await ws.close()
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert [e["extensions"]["code"] for e in errors] == [code], message
