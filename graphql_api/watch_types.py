"""GraphQL types of the durable watches' admin fields (docs/reference/watches.md): a
watch with its delivery counts and last failure, and one of its deliveries."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import strawberry

from graphql_api.change_types import ChangeKind, LineageChange
from graphql_api.context import ApiInfo
from graphql_api.inputs import LineageDirection
from graphql_api.types import DObject, Run
from lineage_read.watches import Delivery, WatchSummary, http_status


@strawberry.enum
class WatchRootKind(enum.Enum):
    DOBJECT = "DOBJECT"
    RUN = "RUN"


@strawberry.enum
class DeliveryState(enum.Enum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


@strawberry.type(description="The latest delivery of a watch that carries an error.")
class WatchFailure:
    at: datetime = strawberry.field(description="When its latest failed attempt was recorded.")
    error: str = strawberry.field(description="'HTTP <status>' or the connection's error.")
    http_status: int | None = strawberry.field(description="The receiver's answer, if any.")
    delivery_id: strawberry.ID
    given_up: bool = strawberry.field(description="FAILED: no more attempts.")


@strawberry.type(description="A webhook delivery of one change to one watch.")
class WatchDelivery:
    id: strawberry.ID = strawberry.field(description="The delivery_id of every attempt.")
    state: DeliveryState
    attempts: int
    last_error: str | None = strawberry.field(description="The latest failed attempt's error.")
    http_status: int | None = strawberry.field(description="Its HTTP status, if any.")
    finished_at: datetime | None = strawberry.field(description="Delivered or given up then.")
    change: LineageChange

    @classmethod
    def from_delivery(cls, d: Delivery) -> WatchDelivery:
        return cls(
            id=strawberry.ID(str(d.id)),
            state=DeliveryState(d.state.upper()),
            attempts=d.attempts,
            last_error=d.last_error,
            http_status=http_status(d.last_error),
            finished_at=d.finished_at,
            change=LineageChange.from_row(d),
        )


@strawberry.type(description="A durable watch: its root, where it delivers, how it went.")
class Watch:
    id: strawberry.ID
    name: str
    root_kind: WatchRootKind
    root_id: strawberry.ID
    direction: LineageDirection
    depth: int
    kinds: list[ChangeKind]
    url: str
    created_at: datetime
    delivered: int
    pending: int
    failed: int
    last_failure: WatchFailure | None
    root_uuid: strawberry.Private[uuid.UUID]

    @classmethod
    def from_summary(cls, w: WatchSummary) -> Watch:
        failure = None
        if w.last_failure is not None and w.last_failure_at is not None:
            failure = WatchFailure(
                at=w.last_failure_at,
                error=w.last_failure,
                http_status=w.last_failure_status,
                delivery_id=strawberry.ID(str(w.last_failure_delivery)),
                given_up=w.last_failure_given_up,
            )
        return cls(
            id=strawberry.ID(str(w.id)),
            name=w.name,
            root_kind=WatchRootKind(w.root_kind),
            root_id=strawberry.ID(str(w.root_id)),
            direction=LineageDirection(w.direction),
            depth=w.depth,
            kinds=[ChangeKind(k) for k in w.kinds],
            url=w.url,
            created_at=w.created_at,
            delivered=w.delivered,
            pending=w.pending,
            failed=w.failed,
            last_failure=failure,
            root_uuid=w.root_id,
        )

    @strawberry.field(description="The root, when it is a dobject (null once gone).")
    async def dobject(self, info: ApiInfo) -> DObject | None:
        if self.root_kind is not WatchRootKind.DOBJECT:
            return None
        return await info.context.loaders.dobject.load(self.root_uuid)

    @strawberry.field(description="The root, when it is a run (null once gone).")
    async def run(self, info: ApiInfo) -> Run | None:
        if self.root_kind is not WatchRootKind.RUN:
            return None
        return await info.context.loaders.run.load(self.root_uuid)
