"""What every request handler shares: settings, the database pool and the NATS connection,
and the GraphQL face's live events and subscription limits.

Opened by the app's lifespan and kept on `app.state.resources`. The faces do not import
this class: each says what it uses of it (graphql_api.resources, openlineage_api.resources).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import nats
from nats.aio.client import Client as NATSClient
from nats.js import JetStreamContext

from graphql_api.changes import ChangeFeed
from graphql_api.live_events import LiveEvents
from graphql_api.ratelimit import SubscriptionLimits
from lineage_core.nats_auth import service_connect_options
from lineage_core.settings import Settings
from lineage_core.startup import wait_until
from lineage_core.streams import ensure_streams
from lineage_read.database import LISTEN_SESSIONS, MIN_SESSIONS, Database

# With a read replica, the primary keeps this many of LINEAGE_DB_POOL_SIZE sessions: one
# pooled for the API's few writes (OpenLineage documents) and its LISTEN session.
PRIMARY_SESSIONS_WITH_REPLICA: Final = 2


@dataclass
class Resources:
    settings: Settings
    # where the API reads: the replica of LINEAGE_DATABASE_READ_URL, else the primary.
    # With `writer`, every session of the API: `settings.db_pool_size` at most.
    db: Database
    nc: NATSClient
    js: JetStreamContext
    # where the API writes and LISTENs (the primary); `db` itself without a replica
    writer: Database | None = None
    # the process's one consumer of live events, shared by its subscriptions
    live: LiveEvents = field(init=False)
    # what each caller's subscriptions may cost
    subscription_limits: SubscriptionLimits = field(init=False)
    # the process's one reader of lineage changes, shared by `lineageChanges`
    changes: ChangeFeed = field(init=False)

    def __post_init__(self) -> None:
        self.live = LiveEvents(self.js)
        self.changes = ChangeFeed(self.db)
        self.subscription_limits = SubscriptionLimits(
            self.settings.api_subscription_events, self.settings.api_max_subscriptions
        )

    @property
    def primary(self) -> Database:
        return self.writer if self.writer is not None else self.db

    @classmethod
    async def open(cls, settings: Settings) -> Resources:
        db, writer = await _open_databases(settings)
        nc: NATSClient | None = None
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
            if nc is not None:
                await nc.close()
            await db.close()
            if writer is not None:
                await writer.close()
            raise
        return cls(settings=settings, db=db, nc=nc, js=js, writer=writer)

    async def close(self) -> None:
        await self.live.close()
        await self.changes.close()
        # drain only a live connection; one that is reconnecting just closes
        if self.nc.is_connected:
            await self.nc.drain()
        elif not self.nc.is_closed:
            await self.nc.close()
        await self.db.close()
        if self.writer is not None:
            await self.writer.close()


async def _open_databases(settings: Settings) -> tuple[Database, Database | None]:
    """(reads, writes): one pool on the primary, or a replica's pool plus a small one on
    the primary, LINEAGE_DB_POOL_SIZE sessions in all (docs/reference/deployment.md)."""
    timeout = settings.api_statement_timeout_ms
    if not settings.database_read_url:
        db = await Database.open(
            settings.resolved_database_url(),
            sessions=settings.db_pool_size,
            statement_timeout_ms=timeout,
        )
        return db, None
    writer = await Database.open(
        settings.resolved_database_url(),
        sessions=PRIMARY_SESSIONS_WITH_REPLICA,
        statement_timeout_ms=timeout,
    )
    try:
        # a hot standby cannot LISTEN: the session Database keeps for it is never opened
        # on the replica, so asking for one more leaves S - 2 pooled reads there (S in all)
        sessions = settings.db_pool_size - PRIMARY_SESSIONS_WITH_REPLICA + LISTEN_SESSIONS
        reader = await Database.open(
            settings.database_read_url,
            sessions=max(MIN_SESSIONS, sessions),
            statement_timeout_ms=timeout,
        )
    except BaseException:
        await writer.close()
        raise
    return reader, writer
