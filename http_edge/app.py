"""The ASGI app, composed here: the routes of the two faces, the GraphQL API
(graphql_api) and OpenLineage in with the Marquez-shaped read (openlineage_api), with the
operators' probes, behind the edge's middlewares in the order `edge` lists them."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route, WebSocketRoute

from graphql_api.metrics import ApiMetrics
from graphql_api.ratelimit import ConnectionCounter, CpuBudget
from graphql_api.schema import build_schema
from graphql_api.ui import is_open_page
from graphql_api.ui import routes as ui_routes
from graphql_api.view import GraphQLEndpoint, LineageGraphQL
from http_edge import probes
from http_edge.lifespan import lifespan
from http_edge.middleware.authenticate import Authenticate
from http_edge.middleware.body_limit import MAX_BODY, BodyLimit
from http_edge.middleware.decoding import ContentDecoding
from http_edge.middleware.open_paths import OpenPaths
from http_edge.middleware.rate_limit import RateLimit
from http_edge.middleware.scopes import RequireScope
from http_edge.middleware.sockets import WebSocketLimits
from http_edge.middleware.starting import StartingGate
from http_edge.not_found import http_error
from http_edge.ratelimit import RateLimiter
from http_edge.startup import Startup
from lineage_core.settings import Settings
from openlineage_api import routes as openlineage_routes

# no token and no rate limit: the probes (the explorer's pages: graphql_api.ui)
OPEN_PATHS = frozenset({"/healthz", "/readyz"})


def create_app_from_environment() -> Starlette:
    """The app configured by LINEAGE_* (an import string for uvicorn's worker processes:
    `lineage api --workers N`)."""
    return create_app(Settings())


def create_app(settings: Settings) -> Starlette:
    """The API as an ASGI app; its lifespan opens `Resources` at `app.state.resources`."""
    metrics = ApiMetrics()
    startup = Startup()
    graphql = GraphQLEndpoint(LineageGraphQL(build_schema(), metrics))
    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        *probes.routes(),
        *openlineage_routes(),
        *ui_routes(),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan(settings, startup, metrics),
        middleware=edge(settings, startup),
        exception_handlers={HTTPException: http_error},  # 404 and 405 in JSON
    )


def edge(settings: Settings, startup: Startup) -> list[Middleware]:
    """The middlewares in front of every route, outermost first; each one job."""
    return [
        # 503 until NATS and Postgres answer (the probes and /metrics answer at once)
        Middleware(StartingGate, startup=startup),
        # the probes and the data-free pages need no token and count against no rate
        Middleware(OpenPaths, paths=OPEN_PATHS, page=is_open_page),
        # who is asking: the token's principal, and the key its limits are counted under
        Middleware(Authenticate),
        # 429 past the caller's request rate or parse-time budget
        Middleware(
            RateLimit,
            limiter=RateLimiter(settings.api_rate_limit, settings.api_rate_burst),
            cpu=CpuBudget(settings.api_parse_share, settings.api_parse_burst_seconds),
        ),
        # WebSockets: sockets waiting for connection_init per address, the token there
        Middleware(
            WebSocketLimits,
            sockets=ConnectionCounter(settings.api_max_websockets),
            pending=ConnectionCounter(settings.api_max_pending_websockets),
            init_timeout=settings.api_ws_init_timeout_seconds,
        ),
        # HTTP: 401 without a valid token, 403 without the route's scope
        Middleware(RequireScope),
        # gzip and deflate bodies inflated as they stream; 415 for any other encoding
        Middleware(ContentDecoding),
        # 413 past 1 MiB (inflated), 408 for a body slower than the body timeout
        Middleware(BodyLimit, max_body=MAX_BODY, timeout=settings.api_body_timeout_seconds),
    ]
