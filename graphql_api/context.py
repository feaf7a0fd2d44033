"""The context of one GraphQL request (`info.context`), built by the view's
`get_context` and by the direct path (view.py)."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from strawberry.types import Info

if TYPE_CHECKING:  # the context is imported by the types the loaders build
    from starlette.requests import Request
    from starlette.websockets import WebSocket

    from graphql_api.loaders import Loaders
    from graphql_api.metrics import ApiMetrics
    from graphql_api.resources import Resources
    from lineage_read.database import RequestDb


@dataclass(slots=True)
class RequestContext:
    """What resolvers may use: the request's connection and loaders, the process's
    resources (NATS, the pool) and metrics, and the request id errors are logged with."""

    request: Request | WebSocket | None
    response: Any
    resources: Resources
    db: RequestDb
    loaders: Loaders
    metrics: ApiMetrics
    request_id: str
    # set by strawberry from a WebSocket's connection_init payload
    connection_params: dict[str, Any] | None = None
    # the ASGI scope, where the edge leaves the token's scopes (graphql_api/access.py);
    # a WebSocket's gets them at connection_init, after this context was made
    scope: MutableMapping[str, Any] | None = None


ApiInfo = Info[RequestContext, None]
