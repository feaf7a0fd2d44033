"""`dobject.watch(...)` (docs/reference/watches.md) against a small graphql-transport-ws
server in the test: the protocol as the SDK speaks it (token in connection_init, ping,
next, error, complete, close codes), without the lineage service."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.server import Server, ServerConnection, serve
from websockets.typing import Subprotocol

import producer_sdk as ln
from lineage_core.settings import Settings
from producer_sdk import _runtime, aio, rows
from producer_sdk import schema as lns
from producer_sdk.client import Client
from producer_sdk.errors import QueryError, ServiceUnreachable, Unauthenticated
from producer_sdk.watching import watch_variables, ws_url

DOBJECT_ID = str(uuid.UUID(int=5))
RUN = {"id": str(uuid.UUID(int=7)), "status": "STARTED", "name": None, "transform": None}


def change(sequence: int, kind: str = "NEW_VERSION") -> dict[str, Any]:
    return {
        "kind": kind,
        "sequence": sequence,
        "occurredAt": "2026-12-03T02:00:00+00:00",
        "distance": 1,
        "dobject": {"id": DOBJECT_ID, "name": "summary", "suffix": ".csv"},
        "version": None,
        "run": RUN,
    }


@dataclass
class Script:
    """What the test server does on one connection, and what it saw."""

    on_subscribe: Callable[[ServerConnection, str], None]
    refuse_init: int | None = None  # close code for connection_init
    seen: list[dict[str, Any]] = field(default_factory=list)
    subprotocol: str | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def handle(self, ws: ServerConnection) -> None:
        self.subprotocol = ws.subprotocol
        try:
            for raw in ws:
                message = json.loads(raw)
                self.seen.append(message)
                if message["type"] == "connection_init":
                    if self.refuse_init is not None:
                        ws.close(self.refuse_init, "no or bad token")
                        return
                    ws.send(json.dumps({"type": "connection_ack"}))
                elif message["type"] == "subscribe":
                    self.on_subscribe(ws, message["id"])
        finally:
            self.done.set()


@pytest.fixture
def server() -> Iterator[tuple[Server, list[Script]]]:
    scripts: list[Script] = []

    def handler(ws: ServerConnection) -> None:
        scripts[0].handle(ws)

    with serve(handler, "127.0.0.1", 0, subprotocols=[Subprotocol("graphql-transport-ws")]) as srv:
        thread = threading.Thread(target=srv.serve_forever, daemon=True)
        thread.start()
        yield srv, scripts
        srv.shutdown()


@pytest.fixture
def sdk(tmp_path: Path, server: tuple[Server, list[Script]]) -> Iterator[Client]:
    port = server[0].socket.getsockname()[1]
    settings = Settings(
        home=tmp_path,
        nats_url="nats://127.0.0.1:9",
        api_url=f"http://127.0.0.1:{port}",
        api_token="secret-token",
    )
    client = Client(settings)
    previous = _runtime.use_client(client)
    try:
        yield client
    finally:
        _runtime.use_client(previous)


def watched() -> ln.DObject:
    return rows.dobject_from_api({"id": DOBJECT_ID, "name": "summary", "suffix": ".csv"})


def test_changes_arrive_in_order_and_the_watch_ends_with_the_server(
    sdk: Client, server: tuple[Server, list[Script]]
) -> None:
    def two_changes(ws: ServerConnection, sub_id: str) -> None:
        ws.send(json.dumps({"type": "ping"}))
        for sequence in (41, 42):
            payload = {"data": {"lineageChanges": change(sequence)}}
            ws.send(json.dumps({"id": sub_id, "type": "next", "payload": payload}))
        ws.send(json.dumps({"id": sub_id, "type": "complete"}))

    script = Script(two_changes)
    server[1].append(script)
    changes = list(watched().watch(kinds=["new_version", "SCHEMA_CHANGED"], depth=3))
    assert [(c.kind, c.sequence, c.distance) for c in changes] == [
        ("NEW_VERSION", 41, 1),
        ("NEW_VERSION", 42, 1),
    ]
    assert changes[0].dobject is not None
    assert changes[0].dobject.id == uuid.UUID(DOBJECT_ID)
    assert changes[0].run is not None
    assert changes[0].run.id == uuid.UUID(int=7)
    assert script.done.wait(5)  # the server has read everything the client sent
    assert script.subprotocol == "graphql-transport-ws"
    init, subscribe, pong = script.seen[:3]
    assert init == {"type": "connection_init", "payload": {"Authorization": "Bearer secret-token"}}
    assert subscribe["payload"]["variables"] == {
        "dobjectId": DOBJECT_ID,
        "direction": "UPSTREAM",
        "depth": 3,
        "kinds": ["NEW_VERSION", "SCHEMA_CHANGED"],
    }
    assert "lineageChanges(dobjectId: $dobjectId" in subscribe["payload"]["query"]
    assert pong == {"type": "pong"}


def test_breaking_out_ends_the_subscription(
    sdk: Client, server: tuple[Server, list[Script]]
) -> None:
    def endless(ws: ServerConnection, sub_id: str) -> None:
        payload = {"data": {"lineageChanges": change(1, "RUN_STARTED")}}
        ws.send(json.dumps({"id": sub_id, "type": "next", "payload": payload}))

    script = Script(endless)
    server[1].append(script)
    run = lns.Run(id=uuid.UUID(int=7))
    for got in run.watch(direction="downstream"):
        assert got.kind == "RUN_STARTED"
        break
    assert script.done.wait(5)
    assert script.seen[-1] == {"id": "1", "type": "complete"}
    assert script.seen[1]["payload"]["variables"]["runId"] == str(run.id)
    assert script.seen[1]["payload"]["variables"]["direction"] == "DOWNSTREAM"


def test_no_change_within_the_timeout_ends_the_iteration(
    sdk: Client, server: tuple[Server, list[Script]]
) -> None:
    server[1].append(Script(lambda _ws, _sub_id: None))
    assert list(watched().watch(timeout=0.3)) == []


def test_an_error_of_the_subscription_is_raised_with_its_code(
    sdk: Client, server: tuple[Server, list[Script]]
) -> None:
    def not_found(ws: ServerConnection, sub_id: str) -> None:
        errors = [{"message": "no dobject 5", "extensions": {"code": "NOT_FOUND"}}]
        ws.send(json.dumps({"id": sub_id, "type": "error", "payload": errors}))

    server[1].append(Script(not_found))
    changes = watched().watch()
    with pytest.raises(QueryError, match="no dobject 5") as refused:
        next(changes)
    assert refused.value.code == "NOT_FOUND"


def test_a_refused_token_says_what_to_set(sdk: Client, server: tuple[Server, list[Script]]) -> None:
    server[1].append(Script(lambda _ws, _sub_id: None, refuse_init=4401))
    with pytest.raises(Unauthenticated, match="LINEAGE_API_TOKEN"):
        watched().watch()


def test_bad_kinds_and_directions_are_refused_before_connecting() -> None:
    with pytest.raises(TypeError, match="unknown change kinds"):
        watch_variables("dobject", DOBJECT_ID, ["NEW_VERSIONS"], "UPSTREAM", 10)
    with pytest.raises(TypeError, match="kinds= takes a list"):
        watch_variables("dobject", DOBJECT_ID, "NEW_VERSION", "UPSTREAM", 10)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="direction= takes one of"):
        watch_variables("dobject", DOBJECT_ID, None, "SIDEWAYS", 10)
    assert "kinds" not in watch_variables("run", DOBJECT_ID, None, "both", 10)
    assert ws_url("http://h:1") == "ws://h:1/graphql"
    assert ws_url("https://h/graphql") == "wss://h/graphql"


def test_no_service_is_service_unreachable(tmp_path: Path) -> None:
    client = Client(
        Settings(home=tmp_path, nats_url="nats://127.0.0.1:9", api_url="http://127.0.0.1:9")
    )
    previous = _runtime.use_client(client)
    try:
        with pytest.raises(ServiceUnreachable):
            watched().watch()
    finally:
        _runtime.use_client(previous)


def test_the_async_client_watches_on_its_loop(
    tmp_path: Path, server: tuple[Server, list[Script]]
) -> None:
    def one(ws: ServerConnection, sub_id: str) -> None:
        payload = {"data": {"lineageChanges": change(9, "BECAME_STALE")}}
        ws.send(json.dumps({"id": sub_id, "type": "next", "payload": payload}))
        ws.send(json.dumps({"id": sub_id, "type": "complete"}))

    server[1].append(Script(one))
    port = server[0].socket.getsockname()[1]
    settings = Settings(
        home=tmp_path, nats_url="nats://127.0.0.1:9", api_url=f"http://127.0.0.1:{port}"
    )

    async def main() -> list[str]:
        async with aio.AsyncClient(settings) as lineage:
            dobject = watched()
            lineage.core._bind(dobject)
            with pytest.raises(aio.BlockingCallInAsyncCode, match=r"lineage\.watch"):
                dobject.watch()
            async with lineage.watch(dobject, kinds=["BECAME_STALE"]) as changes:
                return [c.kind async for c in changes]

    assert asyncio.run(main()) == ["BECAME_STALE"]


def test_a_service_without_versions_still_sends_changes(
    sdk: Client, server: tuple[Server, list[Script]]
) -> None:
    def without_versions(ws: ServerConnection, sub_id: str) -> None:
        query = script.seen[-1]["payload"]["query"]
        if "version { id number" in query:
            errors = [{"message": "Cannot query field 'version' on type 'LineageChange'."}]
            ws.send(json.dumps({"id": sub_id, "type": "error", "payload": errors}))
            return
        payload = {"data": {"lineageChanges": change(3)}}
        ws.send(json.dumps({"id": sub_id, "type": "next", "payload": payload}))
        ws.send(json.dumps({"id": sub_id, "type": "complete"}))

    script = Script(without_versions)
    server[1].append(script)
    [got] = list(watched().watch())
    assert (got.kind, got.sequence, got.version) == ("NEW_VERSION", 3, None)
    assert script.done.wait(5)
    assert [m["id"] for m in script.seen if m["type"] == "subscribe"] == ["1", "2"]


def test_the_fallback_is_tried_once(sdk: Client, server: tuple[Server, list[Script]]) -> None:
    def refuse(ws: ServerConnection, sub_id: str) -> None:
        errors = [{"message": "Cannot query field 'version' on type 'LineageChange'."}]
        ws.send(json.dumps({"id": sub_id, "type": "error", "payload": errors}))

    script = Script(refuse)
    server[1].append(script)
    with pytest.raises(QueryError, match="Cannot query field"):
        next(watched().watch())
    assert script.done.wait(5)
    assert [m["id"] for m in script.seen if m["type"] == "subscribe"] == ["1", "2"]
