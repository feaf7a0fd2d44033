"""May they: an HTTP request without a valid token is a 401, one whose token lacks the
scope its route needs a 403 (docs/reference/tokens.md). WebSockets are checked at
connection_init instead (http_edge.socket_guard)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from graphql_api.errors import FORBIDDEN, UNAUTHENTICATED
from http_edge.auth import Principal
from http_edge.keys import PRINCIPAL_KEY
from http_edge.middleware.open_paths import is_open
from http_edge.refusal import refuse
from lineage_core.tokens import READ, WRITE


def needed_scope(scope: Scope) -> str:
    """The scope a request needs: `write` to post OpenLineage events, else `read`."""
    if scope["path"].rstrip("/") == "/api/v1/lineage" and scope.get("method") == "POST":
        return WRITE
    return READ


class RequireScope:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_open(scope):
            await self.app(scope, receive, send)
            return
        principal: Principal | None = scope[PRINCIPAL_KEY]
        if principal is None:
            message = "missing, unknown or revoked bearer token (Authorization: Bearer ...)"
            extra = [(b"www-authenticate", b"Bearer")]
            await refuse(scope, receive, send, 401, UNAUTHENTICATED, message, extra)
            return
        needed = needed_scope(scope)
        if not principal.allows(needed):
            message = f"this token lacks the {needed!r} scope"
            await refuse(scope, receive, send, 403, FORBIDDEN, message)
            return
        await self.app(scope, receive, send)
