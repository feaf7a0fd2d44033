"""The resolvers of dataset versions that take arguments: one version by id and the
version-pinned lineage walk (docs/reference/versions.md); a dobject's versions page is
`DObject.versions`'s own."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from graphql_api.context import ApiInfo
from graphql_api.graph_types import LineageEdge, LineageGraph, LineageNode
from graphql_api.inputs import LineageDirection, LineageNodeKind, parse_id
from graphql_api.types import DObjectVersion
from lineage_read import versions
from lineage_read.errors import not_found
from lineage_read.version_walk import version_walk


async def dobject_version(
    info: ApiInfo, version_id: strawberry.ID, at: datetime | None
) -> DObjectVersion | None:
    return await info.context.loaders.at(at).version.load(
        parse_id(version_id, "dobject version id")
    )


async def lineage_of_version(
    info: ApiInfo,
    version_id: strawberry.ID,
    direction: LineageDirection,
    depth: int,
    at: datetime | None,
) -> LineageGraph:
    root = parse_id(version_id, "versionId")
    db = info.context.db
    found = await version_walk(db, root, direction.value, depth, at=at)
    if not found.root_exists:
        raise not_found("DObject version", root, at)
    version_ids = [uuid.UUID(i) for i, k, _ in found.nodes if k == "DOBJECT_VERSION"]
    dobject_of = {
        v.id: v.dobject_id for v in await versions.versions(db, version_ids, at) if v is not None
    }
    return LineageGraph(
        root=strawberry.ID(str(root)),
        nodes=[
            LineageNode(
                id=strawberry.ID(i),
                kind=LineageNodeKind(k),
                depth=d,
                as_of=at,
                dobject_id=dobject_of.get(uuid.UUID(i)) if k == "DOBJECT_VERSION" else None,
            )
            for i, k, d in found.nodes
        ],
        edges=[
            LineageEdge(source=strawberry.ID(s), target=strawberry.ID(t)) for s, t in found.edges
        ],
        truncated=found.truncated,
    )
