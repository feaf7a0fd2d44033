"""What every request handler shares: settings, the database engines and the NATS connection.

Opened by the app's lifespan and kept on `app.state.resources`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Final

import asyncpg
import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from graphql_api.context import QueryStats, RequestDb
from lineage_core.db.engine import create_engine
from lineage_core.nats_auth import service_connect_options
from lineage_core.settings import Settings
from lineage_core.startup import wait_until
from lineage_core.streams import ensure_streams

POOL_SIZE: Final = 10  # asyncpg connections of the GraphQL hot path


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine
    nc: NATS
    js: JetStreamContext
    # Reads of the GraphQL API: autocommit (no BEGIN/ROLLBACK round trips) and no
    # pre-ping (a dead connection is detected on use and the pool replaces it).
    reader: AsyncEngine | None = field(default=None)
    # The GraphQL hot path talks asyncpg directly (prepared statements, no ORM layer).
    pool: asyncpg.Pool | None = field(default=None)
    # first come, first served access to `pool` (context.RequestDb)
    pool_gate: asyncio.Semaphore | None = field(default=None)

    @property
    def query_engine(self) -> AsyncEngine:
        return self.reader if self.reader is not None else self.engine

    @classmethod
    async def open(cls, settings: Settings) -> Resources:
        url = settings.resolved_database_url()
        engine = create_engine(url, pool_size=10)
        reader = create_async_engine(
            url, pool_size=10, max_overflow=10, isolation_level="AUTOCOMMIT"
        )
        pool = await asyncpg.create_pool(
            min_size=2,
            max_size=POOL_SIZE,
            reset=_keep_session,
            **connect_kwargs(reader),
            server_settings={"statement_timeout": str(settings.api_statement_timeout_ms)},
        )
        nc = await nats.connect(
            servers=settings.nats_servers(),
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            **service_connect_options(settings.resolved_nats_creds()),
        )
        js = nc.jetstream()
        # a JetStream cluster still electing the streams' leaders answers errors a while
        await wait_until(
            "the LINEAGE streams", lambda: ensure_streams(js, settings.stream_replicas)
        )
        return cls(
            settings=settings,
            engine=engine,
            nc=nc,
            js=js,
            reader=reader,
            pool=pool,
            pool_gate=asyncio.Semaphore(POOL_SIZE),
        )

    def request_db(self, stats: QueryStats | None = None) -> RequestDb:
        """The connection of one request (acquired on first use)."""
        assert self.pool is not None
        return RequestDb(self.pool, self.query_engine, stats, self.pool_gate)

    async def close(self) -> None:
        # drain only a live connection; one that is reconnecting just closes
        if self.nc.is_connected:
            await self.nc.drain()
        elif not self.nc.is_closed:
            await self.nc.close()
        await self.engine.dispose()
        if self.pool is not None:
            await self.pool.close()
        if self.reader is not None:
            await self.reader.dispose()


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """Pool release without asyncpg's default reset query (a round trip per request):
    the API only reads and never changes session state (no SET, LISTEN or locks)."""


def connect_kwargs(engine: AsyncEngine) -> dict[str, Any]:
    """asyncpg.connect() arguments for the database of a SQLAlchemy asyncpg engine."""
    _args, kwargs = engine.dialect.create_connect_args(engine.url)
    for sqlalchemy_only in ("prepared_statement_cache_size", "async_creator_fn"):
        kwargs.pop(sqlalchemy_only, None)
    return dict(kwargs)
