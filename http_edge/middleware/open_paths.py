"""Which requests need no token and count against no rate: the probes and the pages
that hold no data. The others go on to Authenticate, RateLimit and RequireScope."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from http_edge.keys import OPEN_KEY


class OpenPaths:
    """Marks `scope[OPEN_KEY]`: True for `paths` and for requests `page` says are open."""

    def __init__(
        self, app: ASGIApp, *, paths: Iterable[str], page: Callable[[Scope], bool]
    ) -> None:
        self.app = app
        self.paths = frozenset(paths)
        self.page = page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope[OPEN_KEY] = scope["path"] in self.paths or self.page(scope)
        await self.app(scope, receive, send)


def is_open(scope: Scope) -> bool:
    """Whether OpenPaths marked the request open (anything but HTTP and WebSocket is)."""
    return bool(scope.get(OPEN_KEY, scope["type"] not in ("http", "websocket")))
