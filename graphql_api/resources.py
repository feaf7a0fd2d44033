"""What every request handler shares: settings, the database pool and the NATS connection.

Opened by the app's lifespan and kept on `app.state.resources`.
"""

from __future__ import annotations

from dataclasses import dataclass

import nats
from nats.aio.client import Client as NATSClient
from nats.js import JetStreamContext

from graphql_api.database import Database
from lineage_core.nats_auth import service_connect_options
from lineage_core.settings import Settings
from lineage_core.startup import wait_until
from lineage_core.streams import ensure_streams


@dataclass
class Resources:
    settings: Settings
    # every database session of the API: `settings.db_pool_size` at most (database.py)
    db: Database
    nc: NATSClient
    js: JetStreamContext

    @classmethod
    async def open(cls, settings: Settings) -> Resources:
        db = await Database.open(
            settings.resolved_database_url(),
            sessions=settings.db_pool_size,
            statement_timeout_ms=settings.api_statement_timeout_ms,
        )
        try:
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
        except BaseException:
            await db.close()
            raise
        return cls(settings=settings, db=db, nc=nc, js=js)

    async def close(self) -> None:
        # drain only a live connection; one that is reconnecting just closes
        if self.nc.is_connected:
            await self.nc.drain()
        elif not self.nc.is_closed:
            await self.nc.close()
        await self.db.close()
