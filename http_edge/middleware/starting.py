"""Start-up: until NATS and Postgres answer, every route but the probes and /metrics
answers 503 with what the API waits for (HTTP), or closes with 1013 "try again later"
(WebSocket)."""

from __future__ import annotations

import json
from typing import Final

from starlette.types import ASGIApp, Receive, Scope, Send

from http_edge.refusal import TRY_AGAIN_LATER
from http_edge.startup import Startup

# Routes that answer while the API is still waiting for its dependencies.
ALWAYS_OPEN: Final = frozenset({"/healthz", "/readyz", "/metrics"})


class StartingGate:
    def __init__(self, app: ASGIApp, startup: Startup) -> None:
        self.app = app
        self.startup = startup

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.startup.resources is not None
            or scope["type"] not in ("http", "websocket")
            or scope["path"] in ALWAYS_OPEN
        ):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await receive()  # the websocket.connect message
            await send({"type": "websocket.close", "code": TRY_AGAIN_LATER})
            return
        body = json.dumps(
            {
                "data": None,
                "errors": [
                    {
                        "message": "the service is starting: waiting for "
                        + ", ".join(k for k, v in self.startup.checks.items() if v != "ok"),
                        "extensions": {"code": "SERVICE_UNAVAILABLE"},
                    }
                ],
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", b"1"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
