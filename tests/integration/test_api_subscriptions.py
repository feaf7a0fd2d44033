"""lineageEvents over graphql-transport-ws against a real uvicorn, nats-server and Postgres."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import nats
import pytest
import websockets
from graphql import GraphQLError
from starlette.applications import Starlette

from graphql_api.subscriptions import lineage_events
from http_edge.resources import Resources
from lineage_core import events as ev
from lineage_core.settings import Settings
from lineage_core.subjects import STREAM, subject_for
from tests.support.api import Seed
from tests.support.served import served_app
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

SUBSCRIBE = """subscription($types: [String!], $t: String) {
  lineageEvents(eventTypes: $types, transformName: $t) {
    eventId eventType runId occurredAt sequence payload } }"""


@asynccontextmanager
async def served(database_url: str, nats_url: str, **settings: Any) -> AsyncIterator[str]:
    """The app on a real uvicorn; yields its WebSocket URL."""
    async with served_app(database_url, nats_url, **settings) as (base, _app):
        yield base.replace("http://", "ws://") + "/graphql"


def listeners(app: Starlette) -> int:
    """The subscriptions the app's process feeds live events to."""
    return len(app.state.startup.resources.live)


def run_event(kind: str, run_id: uuid.UUID, **fields: Any) -> ev.Event:
    common = {
        "event_id": uuid.uuid4(),
        "occurred_at": datetime.now(UTC),
        "producer": "test",
        "run_id": run_id,
    }
    model = getattr(ev, kind)
    return model(event_type=kind, **common, **fields)  # type: ignore[no-any-return]


def dobject() -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "name": "f", "suffix": ".txt"}


async def subscribe(url: str, variables: dict[str, Any], init: dict[str, Any] | None = None) -> Any:
    ws = await websockets.connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init", "payload": init or {}}))
    ack = json.loads(await ws.recv())
    assert ack["type"] == "connection_ack", ack
    await ws.send(
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": SUBSCRIBE, "variables": variables},
            }
        )
    )
    return ws


async def test_events_filtered_by_type_and_transform(database_url: str, nats_url: str) -> None:
    s = Seed()
    cr = s.transform("pipeline", "Cell Ranger", "7")
    known = s.run(cr)  # projected: the server knows its transform
    await s.write(database_url)
    other = uuid.uuid4()
    async with served_app(database_url, nats_url) as (base, app):
        url = base.replace("http://", "ws://") + "/graphql"
        by_transform = await subscribe(url, {"t": "Cell Ranger"})
        by_type = await subscribe(url, {"types": ["RunFinished"]})
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        # both listen before publishing (the consumer delivers NEW)
        await wait_until(lambda: listeners(app) == 2, what="two live subscriptions")
        await js.publish("lineage.run.finished", b"not an event")  # skipped, not fatal
        published = [
            run_event("InputLoaded", known, dobject=dobject()),
            run_event("InputLoaded", other, dobject=dobject()),
            run_event("RunFinished", other, status="completed"),
            run_event("RunFinished", known, status="failed", error="boom"),
        ]
        seqs = [(await js.publish(subject_for(e.event_type), ev.encode(e))).seq for e in published]
        await nc.close()
        got_t = [json.loads(await asyncio.wait_for(by_transform.recv(), 5)) for _ in range(2)]
        got_e = [json.loads(await asyncio.wait_for(by_type.recv(), 5)) for _ in range(2)]
        await by_transform.close()
        await by_type.close()
    events_t = [m["payload"]["data"]["lineageEvents"] for m in got_t]
    assert [e["eventId"] for e in events_t] == [
        str(published[0].event_id),
        str(published[3].event_id),
    ]
    assert [e["sequence"] for e in events_t] == [seqs[0], seqs[3]]
    assert events_t[1]["payload"] == json.loads(ev.encode(published[3]))
    assert events_t[0]["runId"] == str(known)
    events_e = [m["payload"]["data"]["lineageEvents"] for m in got_e]
    assert [e["eventType"] for e in events_e] == ["RunFinished", "RunFinished"]
    assert [e["sequence"] for e in events_e] == [seqs[2], seqs[3]]


async def test_websocket_auth(database_url: str, nats_url: str) -> None:
    await Seed().write(database_url)
    async with served(database_url, nats_url, api_token="tok") as url:
        ws = await subscribe(url, {}, init={"Authorization": "Bearer tok"})
        await ws.close()
        header_ws = await websockets.connect(
            url,
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            additional_headers={"Authorization": "Bearer tok"},
        )
        await header_ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await header_ws.recv())["type"] == "connection_ack"
        await header_ws.close()
        refused = await websockets.connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        await refused.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer wrong"}})
        )
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(refused.recv(), 5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401  # no or bad token (docs/reference/tokens.md)


async def test_slow_subscriber_is_dropped(database_url: str, nats_url: str) -> None:
    resources = await Resources.open(Settings(database_url=database_url, nats_url=nats_url))
    try:
        stream = lineage_events(resources, None, None, "test", queue_size=5)
        first = asyncio.create_task(anext(stream))  # type: ignore[var-annotated, arg-type]
        # subscribed once its ordered consumer exists on the stream
        await wait_until(lambda: resources.js.consumers_info(STREAM), what="the consumer")
        run = uuid.uuid4()
        for _ in range(50):
            e = run_event("RunFinished", run, status="completed")
            last = await resources.js.publish(subject_for(e.event_type), ev.encode(e))
        assert (await asyncio.wait_for(first, 5)).event_type == "RunFinished"

        async def all_delivered() -> bool:
            consumers = await resources.js.consumers_info(STREAM)
            if not consumers:  # dropped: its deliveries stopped once the queue was full
                return True
            return consumers[0].delivered.stream_seq >= last.seq

        # the rest arrive while nobody reads: delivered by the server, then past our
        # connection's reader (a ping answered after them)
        await wait_until(all_delivered, what="every event delivered to the subscriber")
        await resources.nc.flush()
        received = 1
        with pytest.raises(GraphQLError) as dropped:  # noqa: PT012 - raised mid-iteration
            async for _event in stream:
                received += 1
        assert dropped.value.extensions == {"code": "SLOW_CONSUMER"}
        assert received <= 6
    finally:
        await resources.close()


async def test_subscriptions_of_a_process_share_one_consumer(
    database_url: str, nats_url: str
) -> None:
    await Seed().write(database_url)
    filters: list[dict[str, Any]] = [
        {},
        {},
        {"types": ["RunFinished"]},
        {"types": ["RunStarted", "RunFinished"]},
        {"types": ["InputLoaded"]},
    ]
    async with served_app(database_url, nats_url) as (base, app):
        url = base.replace("http://", "ws://") + "/graphql"
        sockets = [await subscribe(url, f) for f in filters]
        await wait_until(lambda: listeners(app) == len(filters), what="five live subscriptions")
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        # one delivery per event for the process, however many subscriptions it serves
        assert len(await js.consumers_info(STREAM)) == 1
        run = uuid.uuid4()
        published = [
            run_event("RunFinished", run, status="completed"),
            run_event("InputLoaded", run, dobject=dobject()),
            run_event("RunFinished", run, status="failed", error="boom"),
        ]
        seqs = [(await js.publish(subject_for(e.event_type), ev.encode(e))).seq for e in published]
        expected = [
            [0, 1, 2],
            [0, 1, 2],
            [0, 2],
            [0, 2],
            [1],
        ]
        for ws, wanted in zip(sockets, expected, strict=True):
            got = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in wanted]
            events = [m["payload"]["data"]["lineageEvents"] for m in got]
            assert [e["eventId"] for e in events] == [str(published[i].event_id) for i in wanted]
            assert [e["sequence"] for e in events] == [seqs[i] for i in wanted]
        for ws in sockets:
            await ws.close()
        # the consumer stops with the last subscription
        await wait_until(lambda: listeners(app) == 0, what="the subscriptions ended")

        async def no_consumer() -> bool:
            return not await js.consumers_info(STREAM)

        await wait_until(no_consumer, what="the shared consumer stopped")
        await nc.close()
