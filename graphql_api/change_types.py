"""GraphQL types of `lineageChanges` (docs/reference/watches.md)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Protocol

import strawberry

from graphql_api.context import ApiInfo
from graphql_api.inputs import BigInt
from graphql_api.types import DObject, DObjectVersion, Run


class ChangeRow(Protocol):
    """What the read model's change rows (a live change, a delivery) carry."""

    @property
    def kind(self) -> str: ...
    @property
    def sequence(self) -> int: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def distance(self) -> int: ...
    @property
    def dobject_id(self) -> uuid.UUID | None: ...
    @property
    def version_id(self) -> uuid.UUID | None: ...
    @property
    def run_id(self) -> uuid.UUID | None: ...


@strawberry.enum
class ChangeKind(enum.Enum):
    NEW_VERSION = "NEW_VERSION"
    SCHEMA_CHANGED = "SCHEMA_CHANGED"
    BECAME_STALE = "BECAME_STALE"
    RUN_STARTED = "RUN_STARTED"
    RUN_COMPLETED = "RUN_COMPLETED"
    RUN_FAILED = "RUN_FAILED"


@strawberry.type(description="A change in the lineage of a watched root, once queryable.")
class LineageChange:
    kind: ChangeKind
    sequence: BigInt = strawberry.field(description="Stream sequence of the event that caused it.")
    occurred_at: datetime = strawberry.field(description="That event's occurred_at.")
    distance: int = strawberry.field(description="Hops from the watched root; 0 is the root.")
    dobject_id: strawberry.Private[uuid.UUID | None]
    version_id: strawberry.Private[uuid.UUID | None]
    run_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: ChangeRow) -> LineageChange:
        """A change as the read model holds it: a live change or a delivery's change."""
        return cls(
            kind=ChangeKind(row.kind),
            sequence=BigInt(row.sequence),
            occurred_at=row.occurred_at,
            distance=row.distance,
            dobject_id=row.dobject_id,
            version_id=row.version_id,
            run_id=row.run_id,
        )

    @strawberry.field(description="NEW_VERSION, SCHEMA_CHANGED, BECAME_STALE: the dobject.")
    async def dobject(self, info: ApiInfo) -> DObject | None:
        if self.dobject_id is None:
            return None
        return await info.context.loaders.dobject.load(self.dobject_id)

    @strawberry.field(
        description="NEW_VERSION, SCHEMA_CHANGED: the new version; BECAME_STALE: the stale one."
    )
    async def version(self, info: ApiInfo) -> DObjectVersion | None:
        if self.version_id is None:
            return None
        return await info.context.loaders.version.load(self.version_id)

    @strawberry.field(description="RUN_*: that run; the other kinds: the version's writer.")
    async def run(self, info: ApiInfo) -> Run | None:
        if self.run_id is None:
            return None
        return await info.context.loaders.run.load(self.run_id)
