"""What one caller's subscriptions may cost (docs/security.md, Abuse limits), against a
real uvicorn, nats-server and Postgres: events a second delivered in all, past which its
subscriptions wait and are dropped once a queue behind; subscriptions open at once.
Another caller's subscriptions are not held up by a noisy one."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from graphql_api.subscriptions import QUEUE_SIZE
from lineage_core import events as ev
from lineage_core import tokens
from lineage_core.db.engine import create_engine
from lineage_core.subjects import subject_for
from tests.integration.test_api_subscriptions import run_event
from tests.support.served import SUBSCRIBE_ALL, acked, served_app, ws_init
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(database_url, pool_size=1)
    yield eng
    await eng.dispose()


def listeners(app: Starlette) -> int:
    return len(app.state.startup.resources.live)


async def subscribed(url: str, token: str, query: str) -> Any:
    ws = await ws_init(url, {"Authorization": f"Bearer {token}"})
    assert await acked(ws)
    payload = {"query": query}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    return ws


def errors_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The errors a subscription ended with: a `next` whose payload has errors."""
    assert message["type"] == "next", message
    errors: list[dict[str, Any]] = message["payload"].get("errors") or []
    return errors


async def received(ws: Any) -> tuple[int, list[dict[str, Any]]]:
    """The events a socket holds, and the errors that followed them."""
    events = 0
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        errors = errors_of(message)
        if errors:
            return events, errors
        events += 1


async def read_events(ws: Any, ids: list[str]) -> None:
    """Append the event id of every message to `ids` until cancelled (failing on an
    error)."""
    while True:
        message = json.loads(await ws.recv())
        assert not errors_of(message), message
        ids.append(message["payload"]["data"]["lineageEvents"]["eventId"])


async def test_a_callers_subscriptions_share_one_event_rate_and_are_dropped_past_it(
    database_url: str, nats_url: str, engine: AsyncEngine
) -> None:
    noisy = await tokens.create_token(engine, "noisy", ["read"])
    calm = await tokens.create_token(engine, "calm", ["read"])
    rate = 400
    async with served_app(database_url, nats_url, api_subscription_events=rate) as (url, app):
        # four subscriptions of one token that do not read while the events come
        silent = [await subscribed(url, noisy, SUBSCRIBE_ALL) for _ in range(4)]
        # and one of another token that reads them all as they come
        watcher = await subscribed(url, calm, SUBSCRIBE_ALL)
        await wait_until(lambda: listeners(app) == 5, what="five live subscriptions")
        seen: list[str] = []
        reading = asyncio.create_task(read_events(watcher, seen))
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        run = uuid.uuid4()
        published: list[str] = []
        started = time.monotonic()
        # At about the rate one caller may receive, until the noisy token's four, which
        # share that rate, have fallen a queue behind and are dropped. Publishing goes on
        # until then rather than for a fixed count: on a loaded machine the publisher may
        # fall short of the rate, and a count sized for the rate would not fill a queue.
        while listeners(app) > 1:
            assert len(published) < 20 * QUEUE_SIZE, "the noisy ones were never dropped"
            await asyncio.sleep(max(0.0, started + len(published) / rate - time.monotonic()))
            event = run_event("RunFinished", run, status="completed")
            await js.publish(subject_for(event.event_type), ev.encode(event))
            published.append(str(event.event_id))
        await nc.close()
        elapsed = time.monotonic() - started
        assert len(published) > QUEUE_SIZE, "dropped before a queue's worth was published"
        results = [await received(ws) for ws in silent]
        # the calm token's one has the rate to itself and keeps up
        await wait_until(
            lambda: reading.done() or len(seen) >= len(published), what="the calm one read all"
        )
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading  # raises what failed the reader, if anything did
        assert seen == published
        for ws in (*silent, watcher):
            await ws.close()
    delivered = sum(events for events, _errors in results)
    # a second's worth at once, then the rate, shared by the four (one in flight each)
    assert delivered <= rate * (1 + elapsed) + 4, (delivered, elapsed)
    for _events, errors in results:
        assert [e["extensions"]["code"] for e in errors] == ["SLOW_CONSUMER"]
        assert f"at most {rate} events/s" in errors[0]["message"]


async def test_subscriptions_open_at_once_are_capped_per_token(
    database_url: str, nats_url: str, engine: AsyncEngine
) -> None:
    token = await tokens.create_token(engine, "dash", ["read"])
    other = await tokens.create_token(engine, "other", ["read"])
    async with served_app(database_url, nats_url, api_max_subscriptions=2) as (url, app):
        ws = await subscribed(url, token, SUBSCRIBE_ALL)  # id 1
        await ws.send(
            json.dumps({"id": "2", "type": "subscribe", "payload": {"query": SUBSCRIBE_ALL}})
        )
        await wait_until(lambda: listeners(app) == 2, what="two live subscriptions")
        # a third, even on another socket, is refused with a code; another token is not
        third = await subscribed(url, token, SUBSCRIBE_ALL)
        refused = errors_of(json.loads(await asyncio.wait_for(third.recv(), 5)))
        assert [e["extensions"]["code"] for e in refused] == ["RATE_LIMITED"]
        assert "LINEAGE_API_MAX_SUBSCRIPTIONS" in refused[0]["message"]
        elsewhere = await subscribed(url, other, SUBSCRIBE_ALL)
        await wait_until(lambda: listeners(app) == 3, what="the other token's subscription")
        # ending one gives its slot back
        await ws.send(json.dumps({"id": "1", "type": "complete"}))
        await wait_until(lambda: listeners(app) == 2, what="the completed one gone")
        await third.send(
            json.dumps({"id": "3", "type": "subscribe", "payload": {"query": SUBSCRIBE_ALL}})
        )
        await wait_until(lambda: listeners(app) == 3, what="a new one in the freed slot")
        for socket in (ws, third, elsewhere):
            await socket.close()
