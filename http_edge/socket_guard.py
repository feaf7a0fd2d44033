"""The token check of a graphql-transport-ws connection, in plain ASGI messages.

The token comes with the upgrade request (`Authorization` header) or in the
`connection_init` payload (`{"Authorization": "Bearer ..."}`). This guard reads the
client's messages before the GraphQL app does: at `connection_init` it refuses a
missing, unknown or revoked token (close 4401), a token without the read scope (4403)
or one more socket than the caller may hold open (4429). While the socket is open it
watches the token: once revoked, the socket is closed with 4401 and the app is told the
client left, which ends its subscriptions. Sockets still waiting for connection_init
are counted per address (middleware.sockets.WebSocketLimits refuses past the cap); the
count is given back here at connection_init.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from graphql_api.access import SCOPES_KEY
from graphql_api.ratelimit import CALLER_KEY, ConnectionCounter
from http_edge.auth import OPEN, Principal, TokenRegistry, bearer_of, caller_key
from lineage_core.tokens import READ

UNAUTHORIZED = 4401
FORBIDDEN = 4403
TOO_MANY = 4429
INIT_TIMEOUT = 4408
GONE = 1006  # the client went away without a close frame
PROTOCOL = GRAPHQL_TRANSPORT_WS_PROTOCOL  # the only subprotocol the app speaks (graphql_api.view)


class SocketGuard:
    def __init__(
        self,
        registry: TokenRegistry,
        sockets: ConnectionCounter,
        from_header: Principal | None,
        init_timeout: float,
    ) -> None:
        self.registry = registry
        self.sockets = sockets
        self.from_header = from_header
        self.init_timeout = init_timeout
        self.principal: Principal | None = None
        self.closed = False
        self._code = GONE  # the close code the app is told once the socket is gone
        self._left = asyncio.Event()  # set when we closed the socket ourselves
        self._pending: asyncio.Task[Message] | None = None
        self._counted: str | None = None
        self._unwatch: Callable[[], None] = lambda: None
        # the slot this socket holds among its address's sockets waiting for
        # connection_init (WebSocketLimits took it), given back at connection_init
        self.pending: tuple[ConnectionCounter, str] | None = None

    async def __call__(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        self._receive, self._send, self._scope = receive, send, scope
        # somewhere between half the timeout and the timeout: a flood of sockets opened at
        # once is closed (and reopened) spread out, not in one burst that stalls the loop
        timeout = self.init_timeout * (0.5 + random.random() / 2)  # noqa: S311 - not secret
        timer = asyncio.get_running_loop().call_later(timeout, self._close_soon, INIT_TIMEOUT)
        self._timer = timer
        try:
            if PROTOCOL not in scope.get("subprotocols", ()):
                await app(scope, self.receive, self.send)  # the app refuses it
                return
            first = await self._until_init()
            if first is not None:
                await app(scope, self._replay(first), self._send_after_accept)
        finally:
            self._initialized()
            timer.cancel()
            self._unwatch()
            if self._counted is not None:
                self.sockets.release(self._counted)
            if self._pending is not None:
                self._pending.cancel()

    async def _until_init(self) -> Message | None:
        """Accept the socket and wait for its first message, without the app: an idle
        socket then holds a third of the objects and none of the app's tasks, which
        keeps the collector's full passes short under a flood of them. The message
        (connection_init with an accepted token, or one the app answers by the
        protocol), or None once the socket is closed or gone."""
        if (await self._receive())["type"] != "websocket.connect":
            return None
        await self.send({"type": "websocket.accept", "subprotocol": PROTOCOL})
        while not self.closed:
            # the init timer closes the socket, and uvicorn then answers this with a
            # disconnect
            message = await self._receive()
            if message["type"] != "websocket.receive":
                return None
            if await self._check_init(message):
                return message
        return None

    def _replay(self, first: Message) -> Receive:
        """The app's `receive`: the handshake as if it were new, then the guarded one."""
        replayed = [{"type": "websocket.connect"}, first]

        async def receive() -> Message:
            return replayed.pop(0) if replayed else await self.receive()

        return receive

    async def _send_after_accept(self, message: Message) -> None:
        """The app's `send`: its accept is answered already (the same subprotocol)."""
        if message["type"] == "websocket.accept":
            if message.get("subprotocol") != PROTOCOL:
                raise RuntimeError(f"the app accepted {message.get('subprotocol')!r}")
            return
        await self.send(message)

    async def receive(self) -> Message:
        """The client's next message as the app sees it (a disconnect once we closed)."""
        while True:
            if self.closed:
                return {"type": "websocket.disconnect", "code": self._code}
            if self._pending is None:
                self._pending = asyncio.ensure_future(self._receive())
            left = asyncio.ensure_future(self._left.wait())
            done, _ = await asyncio.wait({self._pending, left}, return_when=asyncio.FIRST_COMPLETED)
            left.cancel()
            if self._pending not in done:
                continue  # closed meanwhile: the loop answers with a disconnect
            message = self._pending.result()
            self._pending = None
            if (
                self.principal is None
                and message["type"] == "websocket.receive"
                and not await self._check_init(message)
            ):
                continue
            return message

    async def send(self, message: Message) -> None:
        if self.closed:
            return  # the socket is gone: what the app still sends goes nowhere
        try:
            await self._send(message)
        except OSError:
            # the client went away (uvicorn's ClientDisconnected): tell the app through
            # `receive` that it left, instead of an exception per subscription that would
            # be logged with its traceback, thousands of times under a socket flood
            self.closed = True
            self._code = GONE
            self._left.set()

    async def _check_init(self, message: Message) -> bool:
        """Whether a message before the handshake may reach the app (False: closed)."""
        payload = _connection_init_payload(message)
        if payload is None:
            return True  # not a connection_init: the app answers it by the protocol
        self._timer.cancel()
        self._initialized()
        principal = self.from_header
        given = payload.get("Authorization") or payload.get("authorization")
        if (principal is None or principal is OPEN) and isinstance(given, str):
            principal = await self.registry.authenticate(bearer_of(given))
        elif principal is None:
            principal = await self.registry.authenticate(None)
        if principal is None:
            await self.close(UNAUTHORIZED, "missing, unknown or revoked token")
            return False
        if not principal.allows(READ):
            await self.close(FORBIDDEN, "this token lacks the 'read' scope")
            return False
        key = caller_key(principal, self._scope)
        if not self.sockets.acquire(key):
            await self.close(TOO_MANY, "too many open WebSockets for this token or address")
            return False
        self._counted = key
        self._scope[CALLER_KEY] = key  # the subscriptions' budget (ratelimit.SubscriptionLimits)
        self._scope[SCOPES_KEY] = principal.scopes  # the admin fields (graphql_api.access)
        self.principal = principal
        self._unwatch = self.registry.watch(principal, self._revoked)
        return True

    def _initialized(self) -> None:
        """No longer waiting for connection_init: give back the waiting slot."""
        if self.pending is not None:
            counter, key = self.pending
            self.pending = None
            counter.release(key)

    async def _revoked(self) -> None:
        await self.close(UNAUTHORIZED, "token revoked")

    def _close_soon(self, code: int) -> None:
        if self.principal is None and not self.closed:
            asyncio.ensure_future(self.close(code, "no connection_init in time"))  # noqa: RUF006

    async def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self._code = code
        self._left.set()
        with contextlib.suppress(Exception):  # the client may be gone already
            await self._send({"type": "websocket.close", "code": code, "reason": reason})


def _connection_init_payload(message: Message) -> dict[str, Any] | None:
    text = message.get("text")
    if not isinstance(text, str) or '"connection_init"' not in text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("type") != "connection_init":
        return None
    payload = data.get("payload")
    return payload if isinstance(payload, dict) else {}
