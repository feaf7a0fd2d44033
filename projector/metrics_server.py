"""`lineage projector`'s own HTTP port (LINEAGE_METRICS_PORT): /metrics and /healthz.

The projector's metrics live in the default registry (projector/metrics.py); this app
renders them, after reading the stream's last sequence so `lineage_projector_lag` is
current even while the projector is stuck (Postgres down, a batch retrying). No token:
bind the port to an internal address (docs/reference/deployment.md).
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from nats.aio.client import Client as NatsClient
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from lineage_core import nats_auth, subjects
from lineage_core.settings import Settings
from projector import metrics

log = logging.getLogger("lineage.projector")

NATS_TIMEOUT: Final = 2.0


class StreamReader:
    """One NATS connection, opened on the first scrape and again after a loss."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.nc: NatsClient | None = None

    async def last_sequence(self) -> int:
        if self.nc is None or self.nc.is_closed:
            self.nc = await nats_auth.connect_service(self.settings, timeout=NATS_TIMEOUT)
        info = await self.nc.jetstream(timeout=NATS_TIMEOUT).stream_info(subjects.STREAM)
        return int(info.state.last_seq)

    async def close(self) -> None:
        if self.nc is not None and not self.nc.is_closed:
            await self.nc.close()


def _is_active() -> bool:
    return REGISTRY.get_sample_value("lineage_projector_active") == 1


async def _refresh_lag(stream: StreamReader) -> None:
    """Lag of the active projector; NaN on a standby (it applies nothing) or when the
    stream cannot be read (an alert on `lag > N` then stays quiet: use `up` and
    lineage_projector_active to see an outage)."""
    applied = REGISTRY.get_sample_value("lineage_projector_applied_sequence")
    if not _is_active() or applied is None:
        metrics.LAG.set(math.nan)
        return
    try:
        last = await stream.last_sequence()
    except Exception as exc:  # noqa: BLE001 - metrics must render while NATS is down
        log.warning("stream unavailable for lineage_projector_lag: %r", exc)
        metrics.LAG.set(math.nan)
        return
    metrics.LAG.set(max(last - applied, 0))


def create_metrics_app(settings: Settings) -> Starlette:
    """The projector's /metrics and /healthz as an ASGI app."""
    stream = StreamReader(settings)

    async def metrics_endpoint(_request: Request) -> Response:
        await _refresh_lag(stream)
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok", "active": _is_active()})

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await stream.close()

    return Starlette(
        routes=[Route("/metrics", metrics_endpoint), Route("/healthz", healthz)],
        lifespan=lifespan,
    )
