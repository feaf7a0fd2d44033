"""The API app on a real uvicorn (for WebSocket tests), and graphql-transport-ws helpers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
import websockets
from starlette.applications import Starlette
from websockets.typing import Subprotocol

from http_edge.app import create_app
from lineage_core.settings import Settings
from tests.support.servers import free_port
from tests.support.waiting import wait_until

SUBSCRIBE_ALL = "subscription { lineageEvents { eventId eventType sequence } }"


@asynccontextmanager
async def served_app(
    database_url: str, nats_url: str, **settings: Any
) -> AsyncIterator[tuple[str, Starlette]]:
    """The app on 127.0.0.1 (free port), ready; yields its base URL (http://...) and app."""
    port = free_port()
    app = create_app(Settings(database_url=database_url, nats_url=nats_url, **settings))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started, what="uvicorn serving")
    await asyncio.wait_for(app.state.startup.ready.wait(), 30)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        await task


async def ws_init(
    base_url: str, init: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> Any:
    """A graphql-transport-ws socket that has sent connection_init (answer not read)."""
    ws = await websockets.connect(
        base_url.replace("http://", "ws://") + "/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
        additional_headers=headers or {},
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": init or {}}))
    return ws


async def close_code(ws: Any, timeout: float = 5.0) -> int | None:
    """The close code the server sends next (reading and dropping other messages)."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else None


async def acked(ws: Any) -> bool:
    return bool(json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack")
