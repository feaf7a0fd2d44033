"""The lineage explorer and GraphiQL, served from files built from `web/` and shipped in
the package (`static/`): no CDN, no separate server. The pages hold no data, so they are
open without a token; the data they show comes through /graphql like any client's."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR: Final = Path(__file__).parent / "static"
UI_PREFIX: Final = "/ui/"


@cache
def _page(name: str) -> str:
    return (STATIC_DIR / name).read_text(encoding="utf-8")


def explorer_html() -> str:
    return _page("index.html")


def graphiql_html() -> str:
    return _page("graphiql.html")


async def _home(_request: Request) -> Response:
    return RedirectResponse(UI_PREFIX, status_code=307)


async def _explorer(_request: Request) -> Response:
    # every deep link serves the same page; the script reads the path
    return HTMLResponse(explorer_html(), headers={"cache-control": "no-cache"})


def routes() -> list[BaseRoute]:
    """`/` -> `/ui/`; `/ui/`, `/ui/dobject/<id>`, `/ui/run/<id>`, `/ui/version/<id>`
    (a version-pinned graph, docs/reference/versions.md), `/ui/watches` (the durable
    watches, docs/reference/watches.md); `/ui/static/...`."""
    return [
        Route("/", _home, methods=["GET", "HEAD"]),
        Route("/ui", _home, methods=["GET", "HEAD"]),
        Route("/ui/", _explorer, methods=["GET", "HEAD"]),
        Route("/ui/watches", _explorer, methods=["GET", "HEAD"]),
        Route("/ui/dobject/{node_id:str}", _explorer, methods=["GET", "HEAD"]),
        Route("/ui/run/{node_id:str}", _explorer, methods=["GET", "HEAD"]),
        Route("/ui/version/{node_id:str}", _explorer, methods=["GET", "HEAD"]),
        Mount("/ui/static", StaticFiles(directory=STATIC_DIR), name="ui-static"),
    ]


def is_open_page(scope: Scope) -> bool:
    """Whether a request is for a data-free page (open without a token): `/`, the
    explorer's pages and files, and GraphiQL's page (`GET /graphql` asking for HTML)."""
    path: str = scope["path"]
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return False
    if path in ("/", "/ui") or path.startswith(UI_PREFIX):
        return True
    if path == "/graphql" and b"query" not in parse_qs(scope.get("query_string", b"")):
        accept = dict(scope["headers"]).get(b"accept", b"")
        return b"text/html" in accept
    return False
