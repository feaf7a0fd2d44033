"""How often: each caller's requests (a token bucket) and parse time (graphql_api's CPU
budget), counted under the key Authenticate set; past either, 429 with Retry-After."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from graphql_api.errors import RATE_LIMITED
from graphql_api.ratelimit import CALLER, CALLER_KEY, CpuBudget
from http_edge.middleware.open_paths import is_open
from http_edge.ratelimit import RateLimiter, retry_after_header
from http_edge.refusal import refuse


class RateLimit:
    def __init__(self, app: ASGIApp, *, limiter: RateLimiter, cpu: CpuBudget) -> None:
        self.app = app
        self.limiter = limiter
        self.cpu = cpu

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_open(scope):
            await self.app(scope, receive, send)
            return
        key: str = scope[CALLER_KEY]
        wait = self.cpu.retry_after(key) or self.limiter.retry_after(key)
        if wait > 0:
            message = f"too many requests; retry after {wait:.1f} s"
            extra = [(b"retry-after", retry_after_header(wait))]
            await refuse(scope, receive, send, 429, RATE_LIMITED, message, extra)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # the request's parse time is charged to this caller (graphql_api.ratelimit)
        caller = CALLER.set((self.cpu, key))
        try:
            await self.app(scope, receive, send)
        finally:
            CALLER.reset(caller)
