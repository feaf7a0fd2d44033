"""Who is asking: the Principal of the request's bearer token (docs/reference/tokens.md),
and the key its rate limits are counted under. Refuses nothing but a request that comes
before the token registry is open (503); a missing or bad token is RequireScope's 401 on
HTTP, and the WebSocket's connection_init answer."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from graphql_api.access import SCOPES_KEY
from graphql_api.ratelimit import CALLER_KEY
from http_edge.auth import TokenRegistry, bearer_of, caller_key
from http_edge.keys import PRINCIPAL_KEY, TOKENS_STATE
from http_edge.middleware.open_paths import is_open
from http_edge.refusal import refuse


def registry_of(scope: Scope) -> TokenRegistry | None:
    registry: TokenRegistry | None = getattr(scope["app"].state, TOKENS_STATE, None)
    return registry


class Authenticate:
    """Sets `scope[PRINCIPAL_KEY]` (None without a valid token), `scope[CALLER_KEY]` and
    `scope[SCOPES_KEY]` (the token's scopes, for the fields that need `admin`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_open(scope):
            scope[PRINCIPAL_KEY] = None
            await self.app(scope, receive, send)
            return
        registry = registry_of(scope)
        if registry is None:  # still starting: nothing to check tokens against yet
            await refuse(scope, receive, send, 503, "STARTING", "the service is starting")
            return
        raw = dict(scope["headers"]).get(b"authorization")
        principal = await registry.authenticate(bearer_of(raw.decode("latin-1") if raw else None))
        scope[PRINCIPAL_KEY] = principal
        scope[CALLER_KEY] = caller_key(principal, scope)
        scope[SCOPES_KEY] = principal.scopes if principal is not None else frozenset()
        await self.app(scope, receive, send)
