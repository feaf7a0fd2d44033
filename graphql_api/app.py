"""The ASGI app: /graphql (HTTP and graphql-transport-ws), /healthz, /readyz, /metrics,
and the OpenLineage routes, behind auth and the body-size limit."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from graphql_api.auth import TokenRegistry
from graphql_api.freshness import ProjectionWatcher
from graphql_api.metrics import ApiMetrics
from graphql_api.middleware import MAX_BODY, TOKENS_STATE, Guard
from graphql_api.ratelimit import ConnectionCounter, CpuBudget, RateLimiter
from graphql_api.schema import build_schema
from graphql_api.startup import StartingGate, Startup, open_when_ready
from graphql_api.status import projection_status, readiness
from graphql_api.ui import routes as ui_routes
from graphql_api.view import GraphQLEndpoint, LineageGraphQL
from lineage_core.settings import Settings
from lineage_core.startup import log_to_stderr_if_unconfigured
from lineage_read.database import QueryStats
from lineage_read.tokens import TokenTable
from openlineage_api import routes as openlineage_routes

log = logging.getLogger("graphql_api")


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    startup: Startup = request.app.state.startup
    if startup.resources is None:  # still waiting for NATS or Postgres
        return JSONResponse({"ready": False, **startup.checks}, status_code=503)
    checks = await readiness(startup.resources)
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)


# The collector's first generation is collected after 10,000 net allocations, not 700:
# under load the objects of requests in flight then die before a young pass moves them
# on, instead of piling into the oldest generation, whose full passes over a heap of
# thousands of open sockets hold the event loop 100-350 ms each (docs/security.md).
GC_THRESHOLDS: Final = (10_000, 10, 10)


def create_app_from_environment() -> Starlette:
    """The app configured by LINEAGE_* (an import string for uvicorn's worker processes:
    `lineage api --workers N`)."""
    return create_app(Settings())


def create_app(settings: Settings) -> Starlette:
    """The API as an ASGI app; the lifespan opens `Resources` at `app.state.resources`."""
    metrics = ApiMetrics()
    view = LineageGraphQL(build_schema(), metrics)
    endpoint = GraphQLEndpoint(view)

    async def metrics_endpoint(_request: Request) -> Response:
        try:
            resources = startup.resources
            status = None if resources is None else await projection_status(resources)
        except Exception:  # metrics must render even when NATS or Postgres is down
            log.warning("projection status unavailable for /metrics", exc_info=True)
            status = None
        return PlainTextResponse(
            metrics.render(status), media_type="text/plain; version=0.0.4; charset=utf-8"
        )

    startup = Startup()

    async def become_ready(app: Starlette) -> None:
        resources = await open_when_ready(settings, startup)
        app.state.resources = resources
        app.state.watcher = ProjectionWatcher(resources.primary, reader=resources.db)
        # tokens on the primary: a revocation counts at once, and last use is a write
        registry = TokenRegistry(TokenTable(resources.primary), settings.api_token)
        await registry.start()
        setattr(app.state, TOKENS_STATE, registry)
        # the schema, pools and modules live as long as the process: keep them out of
        # the collector's full passes (the per-request garbage is what it should scan)
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        startup.resources = resources  # opens the gate: everything above is in place
        startup.ready.set()
        log.info("ready: NATS and Postgres answer")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The API serves from the start: /healthz answers, /readyz says 503 and what it
        # waits for, until NATS and Postgres answer (docs/reference/deployment.md).
        log_to_stderr_if_unconfigured()
        app.state.startup = startup
        app.state.metrics = metrics
        app.state.query_stats = QueryStats()
        opening = asyncio.create_task(become_ready(app), name="api-startup")
        try:
            yield
        finally:
            opening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await opening
            registry = getattr(app.state, TOKENS_STATE, None)
            if registry is not None:
                await registry.close()
            if startup.resources is not None:
                await app.state.watcher.close()
                await startup.resources.close()

    routes: list[BaseRoute] = [
        Route("/graphql", endpoint, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", endpoint),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
        *openlineage_routes(),
        *ui_routes(),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(StartingGate, startup=startup),
            Middleware(
                Guard,
                limiter=RateLimiter(settings.api_rate_limit, settings.api_rate_burst),
                sockets=ConnectionCounter(settings.api_max_websockets),
                pending_sockets=ConnectionCounter(settings.api_max_pending_websockets),
                cpu=CpuBudget(settings.api_parse_share, settings.api_parse_burst_seconds),
                max_body=MAX_BODY,
                body_timeout=settings.api_body_timeout_seconds,
                ws_init_timeout=settings.api_ws_init_timeout_seconds,
            ),
        ],
    )
