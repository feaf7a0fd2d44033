"""/graphql: strawberry's ASGI app with our context, error codes, auth on WebSocket
connect, and the read-your-writes wait in front of every HTTP request."""

from __future__ import annotations

import uuid
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from graphql_api.context import RequestContext
from graphql_api.direct import answer_of, execute_plain, get_refusal, is_json
from graphql_api.errors import (
    BAD_USER_INPUT,
    PROJECTION_LAG,
    error_body,
)
from graphql_api.loaders import Loaders
from graphql_api.metrics import ApiMetrics
from graphql_api.schema import LineageSchema
from graphql_api.ui import graphiql_html

MIN_SEQUENCE_HEADER: Final = "x-lineage-min-sequence"
REQUEST_ID_HEADER: Final = "x-request-id"
LAG_TIMEOUT: Final = 5.0
_DB_KEY: Final = "lineage.db"
_RID_KEY: Final = "lineage.request_id"


class LineageGraphQL(GraphQL[RequestContext, None]):
    """Strawberry's ASGI view with per-request loaders and coded errors."""

    def __init__(self, schema: LineageSchema, metrics: ApiMetrics) -> None:
        super().__init__(
            schema,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            keep_alive=True,
            keep_alive_interval=15,
        )
        self.lineage_schema = schema
        self.metrics = metrics

    def context_for(
        self, scope: Scope, request: Request | WebSocket | None, response: Any
    ) -> RequestContext:
        state = scope["app"].state
        resources = state.resources
        db = scope.get(_DB_KEY) or resources.db.request(state.query_stats)
        return RequestContext(
            request=request,
            response=response,
            resources=resources,
            db=db,
            loaders=Loaders(db),
            metrics=self.metrics,
            request_id=scope.get(_RID_KEY) or uuid.uuid4().hex,
            scope=scope,
        )

    async def get_context(self, request: Request | WebSocket, response: Any) -> RequestContext:
        return self.context_for(request.scope, request, response)

    async def render_graphql_ide(self, request: Request) -> Response:  # noqa: ARG002
        # GraphiQL from the package's files, not strawberry's page that loads it from a CDN
        return HTMLResponse(graphiql_html())

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        return answer_of(result, request.scope.get(_RID_KEY) or "-")  # type: ignore[return-value]


class GraphQLEndpoint:
    """ASGI endpoint of /graphql: request id, read-your-writes wait, request's connection."""

    def __init__(self, view: LineageGraphQL) -> None:
        self.view = view

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._socket(scope, receive, send)
            return
        headers = dict(scope["headers"])
        rid_raw = headers.get(REQUEST_ID_HEADER.encode())
        scope[_RID_KEY] = rid_raw.decode("latin-1")[:64] if rid_raw else uuid.uuid4().hex
        refusal = await self._wait_for_sequence(scope, headers.get(MIN_SEQUENCE_HEADER.encode()))
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        state = scope["app"].state
        db = state.resources.db.request(state.query_stats)
        scope[_DB_KEY] = db
        try:
            if scope["method"] == "POST" and is_json(headers.get(b"content-type")):
                body = await _read_body(receive)
                answer = await execute_plain(
                    self.view.lineage_schema,
                    body,
                    self.view.context_for(scope, None, None),
                )
                receive = _replay(body, receive)
            else:
                answer = (
                    get_refusal(scope["query_string"], scope[_RID_KEY])
                    if scope["method"] == "GET"
                    else None
                )
            if answer is None:
                await self.view(scope, receive, send)
            else:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-length", str(len(answer)).encode()),
                            (b"content-type", b"application/json"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": answer})
        finally:
            await db.close()

    async def _socket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A WebSocket: one context for the connection (strawberry makes it once), whose
        connection the subscriptions give back between events; a query sent over the
        socket keeps it, so it is given back when the socket ends (else it was held
        for good, and the pool closed at shutdown waited for it)."""
        state = scope["app"].state
        db = state.resources.db.request(state.query_stats)
        scope[_DB_KEY] = db
        try:
            await self.view(scope, receive, send)
        finally:
            await db.close()

    async def _wait_for_sequence(self, scope: Scope, raw: bytes | None) -> Response | None:
        """None once the projection has applied the requested sequence, else the refusal."""
        if raw is None:
            return None
        try:
            sequence = int(raw)
        except ValueError:
            sequence = -1
        if sequence < 0:
            return JSONResponse(
                error_body(
                    BAD_USER_INPUT, f"{MIN_SEQUENCE_HEADER}: {raw!r} is not a stream sequence"
                )
            )
        watcher = scope["app"].state.watcher
        if await watcher.wait_for(sequence, LAG_TIMEOUT):
            return None
        return JSONResponse(
            error_body(
                PROJECTION_LAG,
                f"the projection has applied sequence {watcher.applied}, not yet "
                f"{sequence}, after {LAG_TIMEOUT:g} s; retry later",
            )
        )


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands over an already read body first, then the connection's."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
