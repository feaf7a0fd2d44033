"""What the GraphQL face uses of the process's resources: the database it reads, NATS
(projection status, readiness) and the live events its subscriptions share. The HTTP
edge opens them (one object for the whole process, on `app.state.resources`); the face
only says what it needs of that object."""

from __future__ import annotations

from typing import Protocol

from nats.aio.client import Client as NATSClient
from nats.js import JetStreamContext

from graphql_api.changes import ChangeFeed
from graphql_api.live_events import LiveEvents
from graphql_api.ratelimit import SubscriptionLimits
from lineage_read.database import Database


class Resources(Protocol):
    # where the API reads: the replica of LINEAGE_DATABASE_READ_URL, else the primary
    db: Database
    nc: NATSClient
    js: JetStreamContext
    # the process's one consumer of live events, shared by its subscriptions
    live: LiveEvents
    # what each caller's subscriptions may cost
    subscription_limits: SubscriptionLimits
    # the process's one reader of lineage changes, shared by `lineageChanges`
    changes: ChangeFeed
