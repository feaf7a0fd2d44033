"""Every error is JSON with a code, the router's too: a path no route has (404) or a
method its routes do not take (405, with the Allow header of all of them). Under
/api/v1 the shape is Marquez's, `{"code": 404, "message": "HTTP 404 Not Found"}`
(docs/reference/marquez.md); elsewhere the edge's, `{"error": {"code": "NOT_FOUND",
"message": ...}}`, as its refusals."""

from __future__ import annotations

from http import HTTPStatus
from typing import Final

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match

from http_edge.refusal import refusal

MARQUEZ_PREFIX: Final = "/api/v1"


def allowed_methods(request: Request) -> list[str]:
    """The methods of every route whose path is the request's."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is Match.PARTIAL:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def is_marquez_path(path: str) -> bool:
    return path == MARQUEZ_PREFIX or path.startswith(MARQUEZ_PREFIX + "/")


async def http_error(request: Request, exc: Exception) -> Response:
    """The answer to an HTTPException (the router's 404 and 405, or a route's own)."""
    if not isinstance(exc, HTTPException):  # registered for HTTPException only
        raise exc
    status = HTTPStatus(exc.status_code)
    headers = dict(exc.headers or {})
    if status is HTTPStatus.METHOD_NOT_ALLOWED:
        headers["Allow"] = ", ".join(allowed_methods(request)) or headers.get("Allow", "")
    said = exc.detail if exc.detail != status.phrase else None
    if is_marquez_path(request.url.path):
        body: object = {
            "code": status.value,
            "message": said or f"HTTP {status.value} {status.phrase}",
        }
    else:
        message = said or f"{status.phrase}: {request.method} {request.url.path}"
        if status is HTTPStatus.METHOD_NOT_ALLOWED:
            message += f" (allowed: {headers['Allow']})"
        body = refusal(request.scope, status.name, message)
    return JSONResponse(body, status_code=status.value, headers=headers)
