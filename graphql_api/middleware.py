"""Pure ASGI guards in front of every route: bearer-token auth and the body-size limit."""

from __future__ import annotations

import hmac
import json
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphql_api.errors import UNAUTHENTICATED, error_body
from graphql_api.ui import is_open_page

OPEN_PATHS: Final = frozenset({"/healthz", "/readyz"})
MAX_BODY: Final = 1024 * 1024
AUTHENTICATED_KEY: Final = "lineage.authenticated"  # scope key read by the WebSocket handler


class BodyTooLarge(Exception):
    pass


def bearer_matches(value: str | None, token: str) -> bool:
    """Whether an Authorization value is `Bearer <token>` (constant-time comparison)."""
    if not value:
        return False
    scheme, _, given = value.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


async def _send_json(
    send: Send, status: int, body: object, extra: list[tuple[bytes, bytes]] = []
) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


class Guard:
    """Refuses unauthenticated requests (401) and bodies over `max_body` bytes (413).

    WebSocket upgrades without a valid header pass through marked unauthenticated:
    the graphql-transport-ws `connection_init` payload may still carry the token."""

    def __init__(self, app: ASGIApp, token: str | None, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.token = token
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if self.token is not None and scope["path"] not in OPEN_PATHS and not is_open_page(scope):
            headers = dict(scope["headers"])
            raw = headers.get(b"authorization")
            ok = bearer_matches(raw.decode("latin-1") if raw else None, self.token)
            if scope["type"] == "websocket":
                scope[AUTHENTICATED_KEY] = ok
            elif not ok:
                await _send_json(
                    send,
                    401,
                    error_body(
                        UNAUTHENTICATED, "missing or wrong bearer token (Authorization: Bearer ...)"
                    ),
                    [(b"www-authenticate", b"Bearer")],
                )
                return
        else:
            scope[AUTHENTICATED_KEY] = True
        if scope["type"] == "http":
            await self._limited(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await _too_large(send, self.max_body)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send, self.max_body)


async def _too_large(send: Send, limit: int) -> None:
    await _send_json(
        send,
        413,
        {
            "errors": [
                {
                    "message": f"request body over {limit} bytes",
                    "extensions": {"code": "BAD_USER_INPUT"},
                }
            ]
        },
    )
