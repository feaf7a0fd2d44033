"""The ASGI app: /graphql (HTTP and graphql-transport-ws), /healthz, /readyz, /metrics,
and the OpenLineage routes, behind auth and the body-size limit."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from graphql_api.database import QueryStats
from graphql_api.freshness import ProjectionWatcher
from graphql_api.metrics import ApiMetrics
from graphql_api.middleware import MAX_BODY, Guard
from graphql_api.openlineage import routes as openlineage_routes
from graphql_api.resources import Resources
from graphql_api.schema import build_schema
from graphql_api.status import projection_status, readiness
from graphql_api.view import GraphQLEndpoint, LineageGraphQL
from lineage_core.settings import Settings

log = logging.getLogger("graphql_api")


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    checks = await readiness(request.app.state.resources)
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)


def create_app(settings: Settings) -> Starlette:
    """The API as an ASGI app; the lifespan opens `Resources` at `app.state.resources`."""
    metrics = ApiMetrics()
    view = LineageGraphQL(build_schema(), metrics, settings.api_token)
    endpoint = GraphQLEndpoint(view)

    async def metrics_endpoint(request: Request) -> Response:
        try:
            status = await projection_status(request.app.state.resources)
        except Exception:  # metrics must render even when NATS or Postgres is down
            log.warning("projection status unavailable for /metrics", exc_info=True)
            status = None
        return PlainTextResponse(
            metrics.render(status), media_type="text/plain; version=0.0.4; charset=utf-8"
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        resources = await Resources.open(settings)
        app.state.resources = resources
        app.state.metrics = metrics
        app.state.watcher = ProjectionWatcher(resources.db)
        app.state.query_stats = QueryStats()
        # the schema, pools and modules live as long as the process: keep them out of
        # the collector's full passes (the per-request garbage is what it should scan)
        gc.freeze()
        try:
            yield
        finally:
            await app.state.watcher.close()
            await resources.close()

    routes: list[BaseRoute] = [
        Route("/graphql", endpoint, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", endpoint),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
        *openlineage_routes(),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(Guard, token=settings.api_token or None, max_body=MAX_BODY)],
    )
