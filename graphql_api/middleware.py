"""Pure ASGI guard in front of every route: who is asking and may they
(docs/reference/tokens.md), how often (rate limits), and how big and slow their bodies may be.

HTTP: no, unknown or revoked token -> 401 UNAUTHENTICATED; a token without the scope
-> 403 FORBIDDEN; past the caller's rate -> 429 with Retry-After; a body over 1 MiB ->
413; a body that takes longer than the body timeout -> 408. WebSockets go on to
`socket_guard.SocketGuard`, which checks the token at `connection_init`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphql_api.auth import TokenRegistry, bearer_of, caller_key
from graphql_api.errors import BAD_USER_INPUT, FORBIDDEN, RATE_LIMITED, UNAUTHENTICATED
from graphql_api.ratelimit import (
    CALLER,
    CALLER_KEY,
    ConnectionCounter,
    CpuBudget,
    RateLimiter,
    retry_after_header,
)
from graphql_api.socket_guard import SocketGuard
from graphql_api.ui import is_open_page
from lineage_core.tokens import READ, WRITE

OPEN_PATHS: Final = frozenset({"/healthz", "/readyz"})
MAX_BODY: Final = 1024 * 1024
SMALL_BODY: Final = 64 * 1024  # refusals keep the connection open below this
PRINCIPAL_KEY: Final = "lineage.principal"  # scope key: the Principal of the request
TOKENS_STATE: Final = "tokens"  # app.state attribute holding the TokenRegistry


class BodyTooLarge(Exception):
    pass


class BodyTooSlow(Exception):
    pass


def needed_scope(scope: Scope) -> str:
    """The scope a request needs: `write` to post OpenLineage events, else `read`."""
    if scope["path"].rstrip("/") == "/api/v1/lineage" and scope.get("method") == "POST":
        return WRITE
    return READ


def refusal(scope: Scope, code: str, message: str) -> dict[str, object]:
    """The JSON of a refusal: `{"error": {code, message}}`; on /graphql also the GraphQL
    `errors` list, so GraphQL clients find the code where they look for it."""
    body: dict[str, object] = {"error": {"code": code, "message": message}}
    if scope["path"] == "/graphql":
        body["data"] = None
        body["errors"] = [{"message": message, "extensions": {"code": code}}]
    return body


async def send_json(
    send: Send, status: int, body: object, extra: Iterable[tuple[bytes, bytes]] = ()
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
    """Authentication, scopes, rate limits and body limits for every HTTP request;
    WebSockets are handed to a SocketGuard."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limiter: RateLimiter,
        sockets: ConnectionCounter,
        pending_sockets: ConnectionCounter | None = None,
        cpu: CpuBudget | None = None,
        max_body: int = MAX_BODY,
        body_timeout: float = 30.0,
        ws_init_timeout: float = 60.0,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.cpu = cpu or CpuBudget(0, 1)
        self.sockets = sockets
        self.pending_sockets = pending_sockets or ConnectionCounter(0)
        self.max_body = max_body
        self.body_timeout = body_timeout
        self.ws_init_timeout = ws_init_timeout

    async def __call__(  # noqa: PLR0911 - one early return per refusal, in the order checked
        self, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if scope["path"] in OPEN_PATHS or is_open_page(scope):
            scope[PRINCIPAL_KEY] = None
            await self._limited(scope, receive, send)
            return
        registry: TokenRegistry | None = getattr(scope["app"].state, TOKENS_STATE, None)
        if registry is None:  # still starting: nothing to check tokens against yet
            await self._refuse(scope, receive, send, 503, "STARTING", "the service is starting")
            return
        raw = dict(scope["headers"]).get(b"authorization")
        principal = await registry.authenticate(bearer_of(raw.decode("latin-1") if raw else None))
        key = caller_key(principal, scope)
        scope[CALLER_KEY] = key
        wait = self.cpu.retry_after(key) or self.limiter.retry_after(key)
        if wait > 0:
            await self._refuse(
                scope,
                receive,
                send,
                429,
                RATE_LIMITED,
                f"too many requests; retry after {wait:.1f} s",
                [(b"retry-after", retry_after_header(wait))],
            )
            return
        if scope["type"] == "websocket":
            address = caller_key(None, scope)
            if not self.pending_sockets.acquire(address):
                # refused before the handshake: bounds the descriptors and memory one
                # address can hold with sockets that never say connection_init
                message = "too many WebSockets from this address waiting for connection_init"
                await self._refuse(scope, receive, send, 429, RATE_LIMITED, message)
                return
            guard = SocketGuard(registry, self.sockets, principal, self.ws_init_timeout)
            guard.pending = (self.pending_sockets, address)
            await guard(self.app, scope, receive, send)
            return
        if principal is None:
            await self._refuse(
                scope,
                receive,
                send,
                401,
                UNAUTHENTICATED,
                "missing, unknown or revoked bearer token (Authorization: Bearer ...)",
                [(b"www-authenticate", b"Bearer")],
            )
            return
        needed = needed_scope(scope)
        if not principal.allows(needed):
            await self._refuse(
                scope, receive, send, 403, FORBIDDEN, f"this token lacks the {needed!r} scope"
            )
            return
        scope[PRINCIPAL_KEY] = principal
        caller = CALLER.set((self.cpu, key))
        try:
            await self._limited(scope, receive, send)
        finally:
            CALLER.reset(caller)

    async def _refuse(  # noqa: PLR0917 - the ASGI triple plus what to answer
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        code: str,
        message: str,
        extra: Iterable[tuple[bytes, bytes]] = (),
    ) -> None:
        if scope["type"] == "websocket":
            await receive()  # websocket.connect; closing before accept refuses the upgrade
            close_code = {401: 4401, 403: 4403, 429: 4429}.get(status, 1013)
            await send({"type": "websocket.close", "code": close_code, "reason": code})
            return
        extra = list(extra)
        if _big_body(scope):
            # refused unread: close the connection rather than take in the body of a
            # flood (up to 1 MiB a request) only to throw it away; a small body is cheaper
            # to skip than a new connection for the caller's next request
            extra.append((b"connection", b"close"))
        await send_json(send, status, refusal(scope, code, message), extra)

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await _too_large(scope, send, self.max_body, close=True)
            return
        seen = 0
        started = False
        more = True

        async def counting_receive() -> Message:
            nonlocal seen, more
            if not more:
                return await receive()  # the body is in: now only a disconnect comes
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout)
            except TimeoutError:
                raise BodyTooSlow from None
            if message["type"] == "http.request":
                more = bool(message.get("more_body", False))
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
                await _too_large(scope, send, self.max_body)
        except BodyTooSlow:
            if not started:
                message = f"the request body took longer than {self.body_timeout:g} s"
                await send_json(send, 408, refusal(scope, "REQUEST_TIMEOUT", message))


async def _too_large(scope: Scope, send: Send, limit: int, *, close: bool = False) -> None:
    message = f"request body over {limit} bytes"
    extra = [(b"connection", b"close")] if close else []
    await send_json(send, 413, refusal(scope, BAD_USER_INPUT, message), extra)


def _big_body(scope: Scope) -> bool:
    """Whether the request's body is over SMALL_BODY bytes, or of unknown length."""
    headers = dict(scope["headers"])
    length = headers.get(b"content-length")
    if b"transfer-encoding" in headers:
        return True
    return length is not None and (not length.isdigit() or int(length) > SMALL_BODY)
