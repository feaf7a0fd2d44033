"""What every request handler shares: settings, the database engine and the NATS connection.

Opened by the app's lifespan and kept on `app.state.resources`.
"""

from __future__ import annotations

from dataclasses import dataclass

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncEngine

from lineage_core.db.engine import create_engine
from lineage_core.settings import Settings
from lineage_core.streams import ensure_streams


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine
    nc: NATS
    js: JetStreamContext

    @classmethod
    async def open(cls, settings: Settings) -> Resources:
        engine = create_engine(settings.resolved_database_url(), pool_size=10)
        nc = await nats.connect(
            servers=settings.nats_servers(), max_reconnect_attempts=-1, reconnect_time_wait=0.5
        )
        js = nc.jetstream()
        await ensure_streams(js)
        return cls(settings=settings, engine=engine, nc=nc, js=js)

    async def close(self) -> None:
        await self.nc.drain()
        await self.engine.dispose()
