"""Routing of Marquez's REST API under /api/v1 on the raw (still percent-encoded) path.

Marquez's path parameters arrive percent-encoded (`s3%3A%2F%2Fbucket`): routing on the
decoded path would split a namespace holding `/` into segments, so the path is split on
its literal slashes first and each segment decoded after. Read routes answer GET; the
write routes Marquez has answer 405 (writes.py), whatever their target; anything else
under /api/v1 is a 404 in Marquez's error shape."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response

from lineage_read.database import RequestDb
from lineage_read.errors import TooComplex
from openlineage_api.marquez.params import MarquezError

Handler = Callable[[Request, RequestDb, dict[str, str]], Awaitable[Response]]
PREFIX: Final = "/api/v1/"


@dataclass(frozen=True)
class Pattern:
    segments: tuple[str, ...]  # literal, or {name} for a parameter
    methods: frozenset[str]
    handler: Handler | None  # None: a write route of Marquez's, answered 405

    def match(self, parts: list[str]) -> dict[str, str] | None:
        if len(parts) != len(self.segments):
            return None
        found: dict[str, str] = {}
        for want, got in zip(self.segments, parts, strict=True):
            if want.startswith("{"):
                found[want[1:-1]] = got
            elif want != got:
                return None
        return found


def pattern(path: str, methods: str, handler: Handler | None) -> Pattern:
    return Pattern(tuple(path.split("/")), frozenset(methods.split()), handler)


class Router:
    """Dispatches a request to the first pattern whose segments match."""

    def __init__(self, patterns: list[Pattern]) -> None:
        self.patterns = patterns

    async def __call__(self, request: Request) -> Response:
        raw = request.scope.get("raw_path") or request.url.path.encode()
        path = raw.decode("latin-1").split("?", 1)[0]
        parts = [unquote(p) for p in path[len(PREFIX) :].rstrip("/").split("/")]
        matched = [(p, found) for p in self.patterns if (found := p.match(parts)) is not None]
        if not matched:
            return MarquezError(404, f"HTTP 404 Not Found: no route {request.url.path}").response()
        method = "GET" if request.method == "HEAD" else request.method
        for candidate, found in matched:
            if method in candidate.methods and candidate.handler is not None:
                try:
                    return await self._serve(request, candidate.handler, found)
                except MarquezError as error:
                    return error.response()
        allow = sorted({m for p, _ in matched for m in p.methods})
        return MarquezError(
            405,
            "this service takes lineage only as OpenLineage events: POST them to "
            f"/api/v1/lineage (OpenLineage ingest); {request.method} {request.url.path} "
            "is not served",
            allow=", ".join(allow),
        ).response()

    async def _serve(self, request: Request, handler: Handler, found: dict[str, str]) -> Response:
        db = request.app.state.resources.db.request()
        try:
            return await handler(request, db, found)
        except TooComplex as error:  # the statement timeout: ask for less
            return MarquezError(400, error.message).response()
        finally:
            await db.close()
