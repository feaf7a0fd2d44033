"""The operators' routes: /healthz (the process is up), /readyz (NATS and Postgres
answer) and /metrics (Prometheus text, the projection's progress with it)."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from graphql_api.metrics import ApiMetrics
from graphql_api.status import projection_status, readiness
from http_edge.startup import Startup

log = logging.getLogger("http_edge")


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    startup: Startup = request.app.state.startup
    if startup.resources is None:  # still waiting for NATS or Postgres
        return JSONResponse({"ready": False, **startup.checks}, status_code=503)
    checks = await readiness(startup.resources)
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)


async def metrics(request: Request) -> Response:
    startup: Startup = request.app.state.startup
    api_metrics: ApiMetrics = request.app.state.metrics
    try:
        resources = startup.resources
        status = None if resources is None else await projection_status(resources)
    except Exception:  # metrics must render even when NATS or Postgres is down
        log.warning("projection status unavailable for /metrics", exc_info=True)
        status = None
    return PlainTextResponse(
        api_metrics.render(status), media_type="text/plain; version=0.0.4; charset=utf-8"
    )


def routes() -> list[BaseRoute]:
    return [Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics)]
