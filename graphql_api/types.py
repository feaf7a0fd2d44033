"""The object types of runs, dobjects and transforms, each built from a read-model row
(`from_row`). Every relation resolves through a per-request DataLoader
(`info.context.loaders`), so a list of N runs costs one statement per relation, not N.

Relation resolvers return a loader's future where graphql-core awaits it, so their
return annotations (which make the schema) name the loaded type: those lines carry
`type: ignore[return-value]`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Final

import strawberry
from strawberry.scalars import JSON

from graphql_api.context import ApiInfo
from graphql_api.inputs import BigInt, RunStatus, TransformType
from graphql_api.page_info import PageInfo
from graphql_api.resolving import context_only, now_or_later, of_type
from lineage_read import rows, versions
from lineage_read.pages import decode_cursor, encode_cursor, page_size
from lineage_read.versions import InputVersionRow, VersionRow

_STATUS: Final = {s: RunStatus(s.value) for s in rows.RunStatus}
_VERSION_CURSOR: Final = "dobject_version"


@strawberry.interface(description="What a run executes: a notebook or a pipeline.")
class Transform:
    id: strawberry.ID
    type: TransformType
    name: str
    version: str
    as_of: strawberry.Private[datetime | None] = None  # read as of this instant

    @staticmethod
    def from_row(row: rows.TransformRow) -> Transform:
        """The Notebook or Pipeline of the row."""
        if row.type is rows.TransformType.NOTEBOOK:
            return Notebook(
                id=strawberry.ID(str(row.id)),
                type=TransformType.NOTEBOOK,
                name=row.name,
                version=row.version,
                title=row.title,
                as_of=row.as_of,
            )
        return Pipeline(
            id=strawberry.ID(str(row.id)),
            type=TransformType.PIPELINE,
            name=row.name,
            version=row.version,
            reference=row.reference,
            as_of=row.as_of,
        )

    @strawberry.field(description="The runs of this transform, oldest first.")
    @context_only
    def runs(self, info: ApiInfo) -> list[Run]:
        return info.context.loaders.at(self.as_of).transform_runs.load(uuid.UUID(self.id))  # type: ignore[return-value]


@strawberry.type
class Notebook(Transform):
    title: str | None


@strawberry.type
class Pipeline(Transform):
    reference: str | None


@strawberry.type(description="One execution of a transform.")
class Run:
    id: strawberry.ID
    name: str | None
    status: RunStatus
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    transform_id: strawberry.Private[uuid.UUID | None]
    first_seen_at: strawberry.Private[datetime]
    parent_run_id: strawberry.Private[uuid.UUID | None] = None
    as_of: strawberry.Private[datetime | None] = None  # read as of this instant

    @classmethod
    def from_row(cls, row: rows.RunRow) -> Run:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            status=_STATUS[row.status],
            started_at=row.started_at,
            finished_at=row.finished_at,
            error=row.error,
            transform_id=row.transform_id,
            first_seen_at=row.first_seen_at,
            parent_run_id=row.parent_run_id,
            as_of=row.as_of,
        )

    @strawberry.field(description="Null only while RunStarted has not arrived.")
    @context_only
    def transform(self, info: ApiInfo) -> Transform | None:
        if self.transform_id is None:
            return None
        return now_or_later(info.context.loaders.at(self.as_of).transform, self.transform_id)  # type: ignore[return-value]

    @strawberry.field
    @context_only
    def notebook(self, info: ApiInfo) -> Notebook | None:
        return of_type(self.transform(info), Notebook)  # type: ignore[return-value]

    @strawberry.field
    @context_only
    def pipeline(self, info: ApiInfo) -> Pipeline | None:
        return of_type(self.transform(info), Pipeline)  # type: ignore[return-value]

    @strawberry.field(description="The dobjects it loaded (not those it produced itself).")
    @context_only
    def inputs(self, info: ApiInfo) -> list[DObject]:
        return info.context.loaders.at(self.as_of).run_inputs.load(uuid.UUID(self.id))  # type: ignore[return-value]

    @strawberry.field(description="The dobjects it produced (it is their source).")
    @context_only
    def outputs(self, info: ApiInfo) -> list[DObject]:
        return info.context.loaders.at(self.as_of).run_outputs.load(uuid.UUID(self.id))  # type: ignore[return-value]

    @strawberry.field(description="Its inputs with the version of each it read, as `inputs`.")
    @context_only
    def input_versions(self, info: ApiInfo) -> list[InputVersion]:
        return info.context.loaders.at(self.as_of).run_input_versions.load(uuid.UUID(self.id))  # type: ignore[return-value]

    @strawberry.field(description="The versions it produced, oldest first.")
    @context_only
    def output_versions(self, info: ApiInfo) -> list[DObjectVersion]:
        return info.context.loaders.at(self.as_of).run_output_versions.load(uuid.UUID(self.id))  # type: ignore[return-value]

    @strawberry.field(description="Runs that produced an input of this run.")
    @context_only
    def upstream_runs(self, info: ApiInfo) -> list[Run]:
        return info.context.loaders.at(self.as_of).upstream_runs.load(uuid.UUID(self.id))  # type: ignore[return-value]

    @strawberry.field(description="Runs that loaded an output of this run.")
    @context_only
    def downstream_runs(self, info: ApiInfo) -> list[Run]:
        return info.context.loaders.at(self.as_of).downstream_runs.load(uuid.UUID(self.id))  # type: ignore[return-value]

    @strawberry.field(description="The run that started this one (its RunStarted's parent).")
    @context_only
    def parent(self, info: ApiInfo) -> Run | None:
        if self.parent_run_id is None:
            return None
        return now_or_later(info.context.loaders.at(self.as_of).run, self.parent_run_id)  # type: ignore[return-value]

    @strawberry.field(description="The runs this one started, oldest first.")
    @context_only
    def children(self, info: ApiInfo) -> list[Run]:
        return info.context.loaders.at(self.as_of).run_children.load(uuid.UUID(self.id))  # type: ignore[return-value]

    @strawberry.field(description="OpenLineage run facets merged over its events; null when none.")
    @context_only
    def facets(self, info: ApiInfo) -> JSON | None:
        return info.context.loaders.run_facets.load(uuid.UUID(self.id))  # type: ignore[return-value]


@strawberry.type(description="A data object: a file or dataset that runs produce and load.")
class DObject:
    id: strawberry.ID
    name: str
    suffix: str
    size: BigInt | None
    hash: str | None
    uri: str | None
    created_at: datetime
    source_run_id: strawberry.Private[uuid.UUID | None]
    row: strawberry.Private[rows.DObjectRow]  # for its schema, parsed only when asked for
    as_of: strawberry.Private[datetime | None] = None  # read as of this instant

    @classmethod
    def from_row(cls, row: rows.DObjectRow) -> DObject:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            suffix=row.suffix,
            size=BigInt(row.size) if row.size is not None else None,
            hash=row.hash,
            uri=row.uri,
            created_at=row.created_at,
            source_run_id=row.source_run_id,
            row=row,
            as_of=row.as_of,
        )

    @strawberry.field(description="The run that produced it.")
    @context_only
    def source(self, info: ApiInfo) -> Run | None:
        if self.source_run_id is None:
            return None
        return now_or_later(info.context.loaders.at(self.as_of).run, self.source_run_id)  # type: ignore[return-value]

    @strawberry.field(description="Its versions, newest first (one per write).")
    async def versions(
        self, info: ApiInfo, first: int | None = 100, after: str | None = None
    ) -> DObjectVersionConnection:
        size = page_size(first)
        keyset = None if after is None else decode_cursor(_VERSION_CURSOR, after)
        db, at, dobject_id = info.context.db, self.as_of, uuid.UUID(self.id)
        found, more = await versions.dobject_versions_page(db, dobject_id, size, keyset, at)
        end = encode_cursor(_VERSION_CURSOR, found[-1].created_at, found[-1].id) if found else None

        async def count() -> int:
            return await versions.count_versions(db, dobject_id, at)

        return DObjectVersionConnection(
            nodes=[DObjectVersion.from_row(r) for r in found],
            page_info=PageInfo(has_next_page=more, end_cursor=end),
            count=count,
        )

    @strawberry.field(description="The version most recently written; null if no run wrote it.")
    async def current_version(self, info: ApiInfo) -> DObjectVersion | None:
        loaders = info.context.loaders.at(self.as_of)
        current = await loaders.current_version.load(uuid.UUID(self.id))
        if current.version_id is None:
            return None
        return await loaders.version.load(current.version_id)

    @strawberry.field(description="Its current version is stale.")
    async def stale(self, info: ApiInfo) -> bool:
        current = await info.context.loaders.at(self.as_of).current_version.load(uuid.UUID(self.id))
        return current.stale

    @strawberry.field(description="The runs that loaded it as an input.")
    @context_only
    def targets(self, info: ApiInfo) -> list[Run]:
        return info.context.loaders.at(self.as_of).dobject_targets.load(uuid.UUID(self.id))  # type: ignore[return-value]

    @strawberry.field(
        description="Its schema, in the producer's order, when a producer sent one (the "
        "earliest registration that carries fields); not affected by asOf."
    )
    def fields(self) -> list[DObjectField]:
        return [DObjectField.from_row(f) for f in self.row.fields()]


@strawberry.type(name="Field", description="One field of a dobject's schema.")
class DObjectField:
    name: str
    type: str | None
    description: str | None

    @classmethod
    def from_row(cls, row: rows.FieldRow) -> DObjectField:
        return cls(name=row.name, type=row.type, description=row.description)


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
