"""The object types that read no loader: the projection's status and a live event. They
import nothing of the request's context, so the process's resources (the live-event
fan-out, the metrics) can use them without joining the types' import loop."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from graphql_api.inputs import BigInt


@strawberry.type
class ProjectionStatus:
    applied_sequence: BigInt
    stream_sequence: BigInt
    lag: BigInt
    last_event_at: datetime | None


@strawberry.type
class LineageEvent:
    event_id: strawberry.ID
    event_type: str
    run_id: strawberry.ID | None
    occurred_at: datetime
    sequence: BigInt
    payload: JSON
