"""Scoped tokens on every door of the API (docs/reference/tokens.md), against real Postgres
and nats-server: HTTP 401/403, GraphQL FORBIDDEN, WebSocket 4401/4403, revocation
within 2 s, last use, rate limits (429) and the WebSocket cap."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.typing import Subprotocol

from http_edge.lifespan import GC_THRESHOLDS
from lineage_core import tokens
from lineage_core.db.engine import create_engine
from tests.support.api import api_client
from tests.support.served import SUBSCRIBE_ALL, acked, close_code, served_app, ws_init
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

QUERY = {"query": "{ runs(first: 1) { totalCount } }"}
REVOKE_DEADLINE = 2.0
WS = Subprotocol("graphql-transport-ws")


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(database_url, pool_size=1)
    yield eng
    await eng.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def code_of(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


async def test_each_scope_opens_its_doors(
    database_url: str, nats_url: str, engine: AsyncEngine
) -> None:
    read = await tokens.create_token(engine, "reader", ["read"])
    write = await tokens.create_token(engine, "writer", ["write"])
    admin = await tokens.create_token(engine, "admin", ["admin"])
    async with api_client(database_url, nats_url) as (client, _app):
        # no token, a wrong one: 401 everywhere but the open pages
        for headers in ({}, bearer("lin_wrong"), {"Authorization": "Basic abc"}):
            for method, path in (
                ("POST", "/graphql"),
                ("GET", "/metrics"),
                ("GET", "/api/v1/lineage"),
                ("POST", "/api/v1/lineage"),
            ):
                answer = await client.request(method, path, json=QUERY, headers=headers)
                assert answer.status_code == 401, (method, path, headers)
                assert code_of(answer) == "UNAUTHENTICATED"
        refused = await client.post("/graphql", json=QUERY)
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/graphql", headers={"Accept": "text/html"})).status_code == 200

        # read: queries, metrics and the Marquez-shaped read; not the ingest
        ok = await client.post("/graphql", json=QUERY, headers=bearer(read))
        assert ok.status_code == 200
        assert ok.json()["data"]["runs"]["totalCount"] == 0
        assert (await client.get("/metrics", headers=bearer(read))).status_code == 200
        assert (await client.get("/api/v1/lineage", headers=bearer(read))).status_code != 403
        no_write = await client.post("/api/v1/lineage", json={}, headers=bearer(read))
        assert no_write.status_code == 403
        assert code_of(no_write) == "FORBIDDEN"

        # write: the ingest only (a bad event is a 400, past the scope check)
        posted = await client.post("/api/v1/lineage", json={}, headers=bearer(write))
        assert posted.status_code == 400
        no_read = await client.post("/graphql", json=QUERY, headers=bearer(write))
        assert no_read.status_code == 403
        assert no_read.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert (await client.get("/metrics", headers=bearer(write))).status_code == 403

        # admin: everything
        assert (await client.post("/graphql", json=QUERY, headers=bearer(admin))).status_code == 200
        posted = await client.post("/api/v1/lineage", json={}, headers=bearer(admin))
        assert posted.status_code == 400


async def test_the_environment_token_has_every_scope(database_url: str, nats_url: str) -> None:
    async with api_client(database_url, nats_url, api_token="env-secret") as (client, _app):
        assert (await client.post("/graphql", json=QUERY)).status_code == 401
        ok = await client.post("/graphql", json=QUERY, headers=bearer("env-secret"))
        assert ok.status_code == 200
        posted = await client.post("/api/v1/lineage", json={}, headers=bearer("env-secret"))
        assert posted.status_code == 400


async def test_open_until_a_token_exists_then_new_tokens_work_at_once(
    database_url: str,
    nats_url: str,
    engine: AsyncEngine,
) -> None:
    async with api_client(database_url, nats_url) as (client, _app):
        assert (await client.post("/graphql", json=QUERY)).status_code == 200
        token = await tokens.create_token(engine, "first", ["read"])
        # a token created a moment ago is known at its first use, not a second later
        assert (await client.post("/graphql", json=QUERY, headers=bearer(token))).status_code == 200

        async def closed() -> bool:
            return (await client.post("/graphql", json=QUERY)).status_code == 401

        await wait_until(closed, timeout=REVOKE_DEADLINE, what="auth on after the first token")


async def test_revoke_is_in_force_within_2s_and_last_use_is_kept(
    database_url: str,
    nats_url: str,
    engine: AsyncEngine,
) -> None:
    token = await tokens.create_token(engine, "ci", ["read"])
    other = await tokens.create_token(engine, "other", ["read"])
    async with api_client(database_url, nats_url) as (client, app):
        assert (await client.post("/graphql", json=QUERY, headers=bearer(token))).status_code == 200
        await app.state.tokens.flush_last_used()
        used = {t.name: t.last_used_at for t in await tokens.list_tokens(engine)}
        assert used["ci"] is not None
        assert used["other"] is None

        await tokens.revoke_token(engine, "ci")
        revoked_at = time.monotonic()

        async def refused() -> bool:
            answer = await client.post("/graphql", json=QUERY, headers=bearer(token))
            return answer.status_code == 401

        await wait_until(refused, timeout=REVOKE_DEADLINE, what="the revoked token refused")
        assert time.monotonic() - revoked_at < REVOKE_DEADLINE
        assert (await client.post("/graphql", json=QUERY, headers=bearer(other))).status_code == 200


async def test_websocket_codes_and_revocation_closes_subscriptions(
    database_url: str,
    nats_url: str,
    engine: AsyncEngine,
) -> None:
    reader = await tokens.create_token(engine, "reader", ["read"])
    writer = await tokens.create_token(engine, "writer", ["write"])
    async with served_app(database_url, nats_url) as (url, _app):
        assert await close_code(await ws_init(url)) == 4401
        assert await close_code(await ws_init(url, {"Authorization": "Bearer nope"})) == 4401
        assert await close_code(await ws_init(url, {"Authorization": f"Bearer {writer}"})) == 4403
        by_header = await ws_init(url, headers=bearer(reader))
        assert await acked(by_header)
        by_payload = await ws_init(url, {"Authorization": f"Bearer {reader}"})
        assert await acked(by_payload)
        for ws in (by_header, by_payload):
            payload = {"query": SUBSCRIBE_ALL}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))

        await tokens.revoke_token(engine, "reader")
        revoked_at = time.monotonic()
        assert await close_code(by_header, timeout=REVOKE_DEADLINE + 1) == 4401
        assert await close_code(by_payload, timeout=REVOKE_DEADLINE + 1) == 4401
        assert time.monotonic() - revoked_at < REVOKE_DEADLINE


async def test_rate_limit_answers_429_per_token(
    database_url: str,
    nats_url: str,
    engine: AsyncEngine,
) -> None:
    noisy = await tokens.create_token(engine, "noisy", ["read"])
    calm = await tokens.create_token(engine, "calm", ["read"])
    settings = {"api_rate_limit": 1.0, "api_rate_burst": 3}
    async with api_client(database_url, nats_url, **settings) as (client, _app):
        answers = [
            await client.post("/graphql", json=QUERY, headers=bearer(noisy)) for _ in range(4)
        ]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert int(answers[-1].headers["retry-after"]) >= 1
        assert code_of(answers[-1]) == "RATE_LIMITED"
        # refused unread: a small body is skipped and the connection kept for the next
        # request, a big one is not taken in (the connection is closed)
        assert answers[-1].headers.get("connection") != "close"
        big = await client.post("/graphql", content=b" " * 100_000, headers=bearer(noisy))
        assert big.status_code == 429
        assert big.headers.get("connection") == "close"
        # another token, and the open pages, are not slowed down by the noisy one
        assert (await client.post("/graphql", json=QUERY, headers=bearer(calm))).status_code == 200
        assert (await client.get("/healthz")).status_code == 200
        # without a valid token the budget is the address's: wrong guesses run out too
        guesses = [await client.post("/graphql", headers=bearer("lin_x")) for _ in range(4)]
        assert [g.status_code for g in guesses] == [401, 401, 401, 429]


async def test_websocket_cap_per_token(
    database_url: str,
    nats_url: str,
    engine: AsyncEngine,
) -> None:
    token = await tokens.create_token(engine, "dash", ["read"])
    other = await tokens.create_token(engine, "other", ["read"])
    init = {"Authorization": f"Bearer {token}"}
    async with served_app(database_url, nats_url, api_max_websockets=2) as (url, _app):
        first, second = await ws_init(url, init), await ws_init(url, init)
        assert await acked(first)
        assert await acked(second)
        assert await close_code(await ws_init(url, init)) == 4429
        assert await acked(await ws_init(url, {"Authorization": f"Bearer {other}"}))
        await first.close()

        async def room_again() -> bool:
            return await acked(await ws_init(url, init))  # a refused one raises: not yet

        await wait_until(room_again, timeout=5, what="a slot freed by a closed socket")


async def test_parse_time_budget_answers_429_to_a_caller_of_costly_documents(
    database_url: str,
    nats_url: str,
    engine: AsyncEngine,
) -> None:
    bomber = await tokens.create_token(engine, "bomber", ["read"])
    calm = await tokens.create_token(engine, "calm", ["read"])
    settings = {"api_parse_share": 0.001, "api_parse_burst_seconds": 0.05}
    async with api_client(database_url, nats_url, **settings) as (client, _app):
        statuses = []
        for i in range(60):  # distinct documents: the cache cannot help
            fields = " ".join(f"f{i}_{j}: runs(first: 1) {{ totalCount }}" for j in range(49))
            answer = await client.post(
                "/graphql", json={"query": "{ " + fields + " }"}, headers=bearer(bomber)
            )
            statuses.append(answer.status_code)
            if answer.status_code == 429:
                assert code_of(answer) == "RATE_LIMITED"
                break
        assert statuses[-1] == 429, statuses
        assert statuses[0] == 200
        # the calm caller's budget is its own; a cached document costs nothing again
        for _ in range(20):
            ok = await client.post("/graphql", json=QUERY, headers=bearer(calm))
            assert ok.status_code == 200


async def test_decoding_big_bodies_is_charged_to_the_parse_budget(
    database_url: str,
    nats_url: str,
    engine: AsyncEngine,
) -> None:
    # documents over the text limit are refused unparsed: what they cost is the JSON
    # decoding of a body of almost 1 MiB, which must still count against the caller
    big = await tokens.create_token(engine, "big", ["read"])
    filler = "a: runs { totalCount } "
    body = json.dumps({"query": "{ " + filler * (900_000 // len(filler)) + "}"})
    settings = {"api_parse_share": 0.001, "api_parse_burst_seconds": 0.02}
    async with api_client(database_url, nats_url, **settings) as (client, _app):
        statuses = []
        for _ in range(200):
            answer = await client.post(
                "/graphql",
                content=body,
                headers={**bearer(big), "content-type": "application/json"},
            )
            statuses.append(answer.status_code)
            if answer.status_code == 429:
                assert code_of(answer) == "RATE_LIMITED"
                break
            assert answer.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert statuses[-1] == 429, statuses


def server_tasks() -> int:
    """The tasks of this process that are not the test's own WebSocket clients'."""
    client = f"{os.sep}websockets{os.sep}asyncio{os.sep}"
    coros = [task.get_coro() for task in asyncio.all_tasks()]
    return sum(1 for c in coros if client not in getattr(c, "cr_code", c).co_filename)  # type: ignore[misc]


async def test_sockets_waiting_for_connection_init_are_capped_and_timed_out(
    database_url: str,
    nats_url: str,
    engine: AsyncEngine,
) -> None:
    token = await tokens.create_token(engine, "dash", ["read"])
    cap = 8
    settings = {"api_max_pending_websockets": cap, "api_ws_init_timeout_seconds": 1.0}
    async with served_app(database_url, nats_url, **settings) as (url, _app):
        ws_url = url.replace("http://", "ws://") + "/graphql"
        # and fewer full passes of the collector over the objects of those sockets
        assert gc.get_threshold() == GC_THRESHOLDS
        tasks_before = server_tasks()
        opened = time.monotonic()
        idle = [await websockets.connect(ws_url, subprotocols=[WS]) for _ in range(cap)]
        # an idle socket costs the server its connection's task, none of the app's
        assert server_tasks() - tasks_before <= cap
        # one more from the same address is refused at the handshake
        with pytest.raises(websockets.InvalidStatus):
            await websockets.connect(ws_url, subprotocols=[WS])

        async def closed_after(ws: Any) -> tuple[int | None, float]:
            code = await close_code(ws, timeout=3)
            return code, time.monotonic() - opened

        closed = await asyncio.gather(*(closed_after(ws) for ws in idle))
        # closed with 4408, between half the timeout and the timeout, spread out
        assert [code for code, _ in closed] == [4408] * cap
        times = [at for _, at in closed]
        assert min(times) >= 0.5, times
        assert max(times) < 2.0, times
        assert max(times) - min(times) > 0.1, times
        # their slots are free again; a socket that sends connection_init leaves its slot
        # at once, so more than the cap can be open as long as they have said hello
        ready = [await ws_init(url, {"Authorization": f"Bearer {token}"}) for _ in range(cap + 1)]
        assert [await acked(ws) for ws in ready] == [True] * (cap + 1)
        # a message other than connection_init first is the protocol's to answer: 4401
        early = await websockets.connect(ws_url, subprotocols=[WS])
        await early.send(json.dumps({"id": "1", "type": "subscribe", "payload": QUERY}))
        assert await close_code(early) == 4401
        for ws in ready:
            await ws.close()
