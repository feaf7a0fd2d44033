"""The app's life: it serves from the start (/healthz answers, /readyz says 503 and what
it waits for) while a task opens the resources once NATS and Postgres answer
(docs/reference/deployment.md); at the end it closes what it opened."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Final

from starlette.applications import Starlette

from graphql_api.freshness import ProjectionWatcher
from graphql_api.metrics import ApiMetrics
from http_edge.auth import TokenRegistry
from http_edge.keys import TOKENS_STATE
from http_edge.startup import Startup, open_when_ready
from lineage_core.settings import Settings
from lineage_core.startup import log_to_stderr_if_unconfigured
from lineage_read.database import QueryStats
from lineage_read.tokens import TokenTable

log = logging.getLogger("http_edge")

# The collector's first generation is collected after 10,000 net allocations, not 700:
# under load the objects of requests in flight then die before a young pass moves them
# on, instead of piling into the oldest generation, whose full passes over a heap of
# thousands of open sockets hold the event loop 100-350 ms each (docs/security.md).
GC_THRESHOLDS: Final = (10_000, 10, 10)

Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


def lifespan(settings: Settings, startup: Startup, metrics: ApiMetrics) -> Lifespan:
    """The lifespan of an app that opens `Resources` at `app.state.resources`."""

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
    async def span(app: Starlette) -> AsyncIterator[None]:
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

    return span
