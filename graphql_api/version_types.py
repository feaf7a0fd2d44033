"""Dataset versions in the schema (docs/reference/versions.md): DObjectVersion, InputVersion
and their connection. Built from lineage_read.versions rows; relations go through the
request's loaders, as of the instant the row was read at."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

import strawberry

from graphql_api.context import ApiInfo
from graphql_api.graph_types import PageInfo
from graphql_api.inputs import BigInt
from graphql_api.resolving import context_only
from graphql_api.types import DObject, DObjectField, Run
from lineage_read.versions import InputVersionRow, VersionRow


@strawberry.type(description="One write of a dobject: the bytes one run produced.")
class DObjectVersion:
    id: strawberry.ID
    number: int = strawberry.field(description="1, 2, ... in version order (createdAt, id).")
    created_at: datetime = strawberry.field(description="When its earliest registration occurred.")
    hash: str | None
    size: BigInt | None
    label: str | None = strawberry.field(description="The producer's own version name, if sent.")
    stale: bool = strawberry.field(
        description="Some input version of its run is no longer its dobject's current version."
    )
    dobject_id: strawberry.Private[uuid.UUID]
    run_id: strawberry.Private[uuid.UUID]
    fields_json: strawberry.Private[str | None]
    as_of: strawberry.Private[datetime | None] = None

    @classmethod
    def from_row(cls, row: VersionRow) -> DObjectVersion:
        return cls(
            id=strawberry.ID(str(row.id)),
            number=row.number,
            created_at=row.created_at,
            hash=row.hash,
            size=row.size,  # type: ignore[arg-type]  # BigInt is an int on the wire
            label=row.label,
            stale=row.stale,
            dobject_id=row.dobject_id,
            run_id=row.run_id,
            fields_json=row.fields_json,
            as_of=row.as_of,
        )

    @strawberry.field(description="The dataset this is a version of.")
    @context_only
    def dobject(self, info: ApiInfo) -> DObject:
        return info.context.loaders.at(self.as_of).dobject.load(self.dobject_id)  # type: ignore[return-value]

    @strawberry.field(description="The run that produced this version (its source).")
    @context_only
    def run(self, info: ApiInfo) -> Run:
        return info.context.loaders.at(self.as_of).run.load(self.run_id)  # type: ignore[return-value]

    @strawberry.field(description="Its schema, from its earliest registration carrying one.")
    def fields(self) -> list[DObjectField]:
        return fields_of(self.fields_json)

    @strawberry.field(description="The inputs of its run that no longer read the current version.")
    @context_only
    def stale_inputs(self, info: ApiInfo) -> list[InputVersion]:
        return info.context.loaders.at(self.as_of).stale_inputs.load(uuid.UUID(self.id))  # type: ignore[return-value]


def fields_of(fields_json: str | None) -> list[DObjectField]:
    if fields_json is None:
        return []
    return [
        DObjectField(name=f["name"], type=f.get("type"), description=f.get("description"))
        for f in json.loads(fields_json)
    ]


@strawberry.type(description="An input of a run and the version of it that the run read.")
class InputVersion:
    loaded_at: datetime
    dobject_id: strawberry.Private[uuid.UUID]
    version_id: strawberry.Private[uuid.UUID | None]
    as_of: strawberry.Private[datetime | None] = None

    @classmethod
    def from_row(cls, row: InputVersionRow) -> InputVersion:
        return cls(
            loaded_at=row.loaded_at,
            dobject_id=row.dobject_id,
            version_id=row.version_id,
            as_of=row.as_of,
        )

    @strawberry.field
    @context_only
    def dobject(self, info: ApiInfo) -> DObject:
        return info.context.loaders.at(self.as_of).dobject.load(self.dobject_id)  # type: ignore[return-value]

    @strawberry.field(description="Null when no version of it existed when it was loaded.")
    @context_only
    def version(self, info: ApiInfo) -> DObjectVersion | None:
        if self.version_id is None:
            return None
        return info.context.loaders.at(self.as_of).version.load(self.version_id)  # type: ignore[return-value]


@strawberry.type
class DObjectVersionConnection:
    nodes: list[DObjectVersion]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many versions the dobject has, over all pages.")
    async def total_count(self) -> int:
        return await self.count()
