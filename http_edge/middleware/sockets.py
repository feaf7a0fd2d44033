"""WebSockets: at most `pending` sockets per address waiting for connection_init, then
the socket's own guard (http_edge.socket_guard): the token at connection_init, the cap of
open sockets per caller, closing a revoked token's sockets."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from graphql_api.errors import RATE_LIMITED
from graphql_api.ratelimit import ConnectionCounter
from http_edge.auth import caller_key
from http_edge.keys import PRINCIPAL_KEY
from http_edge.middleware.authenticate import registry_of
from http_edge.middleware.open_paths import is_open
from http_edge.refusal import refuse
from http_edge.socket_guard import SocketGuard


class WebSocketLimits:
    def __init__(
        self,
        app: ASGIApp,
        *,
        sockets: ConnectionCounter,
        pending: ConnectionCounter,
        init_timeout: float,
    ) -> None:
        self.app = app
        self.sockets = sockets
        self.pending = pending
        self.init_timeout = init_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        registry = registry_of(scope)
        if scope["type"] != "websocket" or is_open(scope) or registry is None:
            await self.app(scope, receive, send)
            return
        address = caller_key(None, scope)
        if not self.pending.acquire(address):
            # refused before the handshake: bounds the descriptors and memory one
            # address can hold with sockets that never say connection_init
            message = "too many WebSockets from this address waiting for connection_init"
            await refuse(scope, receive, send, 429, RATE_LIMITED, message)
            return
        guard = SocketGuard(registry, self.sockets, scope[PRINCIPAL_KEY], self.init_timeout)
        guard.pending = (self.pending, address)
        await guard(self.app, scope, receive, send)
