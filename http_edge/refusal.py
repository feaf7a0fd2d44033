"""How the edge says no: JSON `{"error": {code, message}}` on HTTP (with the GraphQL
`errors` list on /graphql), a close code before the handshake on a WebSocket."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Final

from starlette.types import Receive, Scope, Send

SMALL_BODY: Final = 64 * 1024  # refusals keep the connection open below this
# the WebSocket close code of an HTTP status, when the upgrade itself is refused
CLOSE_CODES: Final = {401: 4401, 403: 4403, 429: 4429}
TRY_AGAIN_LATER: Final = 1013

Headers = Iterable[tuple[bytes, bytes]]


def refusal(scope: Scope, code: str, message: str) -> dict[str, object]:
    """The JSON of a refusal: `{"error": {code, message}}`; on /graphql also the GraphQL
    `errors` list, so GraphQL clients find the code where they look for it."""
    body: dict[str, object] = {"error": {"code": code, "message": message}}
    if scope["path"] == "/graphql":
        body["data"] = None
        body["errors"] = [{"message": message, "extensions": {"code": code}}]
    return body


async def send_json(send: Send, status: int, body: object, extra: Headers = ()) -> None:
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


async def refuse(  # noqa: PLR0917 - the ASGI triple plus what to answer
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    code: str,
    message: str,
    extra: Headers = (),
) -> None:
    """Refuse a request before its app sees it (its body unread)."""
    if scope["type"] == "websocket":
        await receive()  # websocket.connect; closing before accept refuses the upgrade
        close = CLOSE_CODES.get(status, TRY_AGAIN_LATER)
        await send({"type": "websocket.close", "code": close, "reason": code})
        return
    extra = list(extra)
    if big_body(scope):
        # refused unread: close the connection rather than take in the body of a
        # flood (up to 1 MiB a request) only to throw it away; a small body is cheaper
        # to skip than a new connection for the caller's next request
        extra.append((b"connection", b"close"))
    await send_json(send, status, refusal(scope, code, message), extra)


def big_body(scope: Scope) -> bool:
    """Whether the request's body is over SMALL_BODY bytes, or of unknown length."""
    headers = dict(scope["headers"])
    length = headers.get(b"content-length")
    if b"transfer-encoding" in headers:
        return True
    return length is not None and (not length.isdigit() or int(length) > SMALL_BODY)
