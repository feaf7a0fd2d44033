"""GET /api/v1/lineage?nodeId=dataset|job:<namespace>:<name>&depth=N in Marquez's shape.

Marquez's graph has datasets and jobs; ours has dobjects and runs. Runs collapse into
their job: `job:<namespace>:<name>` as OpenLineage named it, else `job:lineage:<transform
name>`. Dobjects that came from OpenLineage keep their `dataset:<namespace>:<name>`;
the others are `dataset:lineage:<dobject id>`. The walk is the API's one recursive query
(lineage_read.lineage), both directions; Marquez's depth counts job hops, so it walks
2 x depth of our hops (capped at 50). A job's graph is walked from its latest run.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from graphql_api.errors import LineageError
from lineage_core.ids import dataset_dobject_id
from lineage_read import openlineage as dao
from lineage_read.database import RequestDb
from lineage_read.lineage import MAX_DEPTH, walk

LOCAL = "lineage"


async def get_lineage(request: Request) -> Response:
    node_id = request.query_params.get("nodeId", "")
    kind, _, rest = node_id.partition(":")
    if kind not in ("dataset", "job") or ":" not in rest:
        return _bad("nodeId must look like dataset:<namespace>:<name> or job:<namespace>:<name>")
    try:
        depth = int(request.query_params.get("depth", "20"))
    except ValueError:
        return _bad("depth must be an integer")
    if not 1 <= depth <= MAX_DEPTH:
        return _bad(f"depth must be between 1 and {MAX_DEPTH}")
    resources = request.app.state.resources
    db = resources.db.request()
    try:
        root = await (_find_dataset(db, rest) if kind == "dataset" else _find_job_run(db, rest))
        if root is None:
            return JSONResponse({"error": f"no {kind} {node_id}"}, status_code=404)
        graph = await walk(
            db, root, "DOBJECT" if kind == "dataset" else "RUN", "BOTH", min(2 * depth, MAX_DEPTH)
        )
        return JSONResponse({"graph": await _marquez_nodes(db, graph.nodes, graph.edges)})
    except LineageError as error:  # the statement timeout: ask for less
        return _bad(error.message)
    finally:
        await db.close()


async def _find_dataset(db: RequestDb, rest: str) -> uuid.UUID | None:
    """The dobject a `<namespace>:<name>` names; namespaces may contain ':' themselves."""
    candidates = [
        dataset_dobject_id(rest[:i], rest[i + 1 :]) for i, char in enumerate(rest) if char == ":"
    ]
    namespace, _, name = rest.partition(":")
    if namespace == LOCAL:
        with contextlib.suppress(ValueError):
            candidates.append(uuid.UUID(name))
    found = {row["id"] for row in await dao.dobjects(db, candidates)}
    return next((c for c in candidates if c in found), None)


async def _find_job_run(db: RequestDb, rest: str) -> uuid.UUID | None:
    """The latest run of the job `<namespace>:<name>` names (OpenLineage's, or for
    `lineage:<name>` the transform's); namespaces may contain ':' themselves."""
    for i, char in enumerate(rest):
        if char == ":":
            run = await dao.latest_job_run(db, rest[:i], rest[i + 1 :])
            if run is not None:
                return run
    namespace, _, name = rest.partition(":")
    if namespace == LOCAL:
        return await dao.latest_transform_run(db, name)
    return None


async def _marquez_nodes(
    db: RequestDb, nodes: list[tuple[str, str, int]], edges: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    run_ids = [uuid.UUID(str(n[0])) for n in nodes if n[1] == "RUN"]
    dobject_ids = [uuid.UUID(str(n[0])) for n in nodes if n[1] == "DOBJECT"]
    names: dict[str, str] = {}
    node_data: dict[str, dict[str, Any]] = {}
    for row in await dao.run_jobs(db, run_ids):
        namespace, name = (
            (row["job_namespace"], row["job_name"])
            if row["job_name"]
            else (LOCAL, row["transform"] or str(row["id"]))
        )
        names[str(row["id"])] = key = f"job:{namespace}:{name}"
        node_data[key] = {
            "type": "JOB",
            "data": {
                "id": {"namespace": namespace, "name": name},
                "type": "BATCH",
                "name": name,
                "namespace": namespace,
            },
        }
    ol_names = {
        dataset_dobject_id(r["namespace"], r["name"]): (r["namespace"], r["name"])
        for r in await dao.datasets_of_runs(db, run_ids)
        if r["namespace"] and r["name"]
    }
    for row in await dao.dobjects(db, dobject_ids):
        namespace, name = ol_names.get(row["id"], (LOCAL, str(row["id"])))
        names[str(row["id"])] = key = f"dataset:{namespace}:{name}"
        created = row["created_at"].timestamp()
        node_data[key] = {
            "type": "DATASET",
            "data": {
                "id": {"namespace": namespace, "name": name},
                "type": "DB_TABLE",
                "name": name,
                "physicalName": row["name"] + row["suffix"],
                "namespace": namespace,
                "sourceName": namespace,
                "createdAt": created,
                "updatedAt": created,
                "fields": _marquez_fields(row["fields"]),
                "tags": [],
                "lastModifiedAt": None,
                "description": None,
            },
        }
    flows = {
        (names[str(s)], names[str(t)]) for s, t in edges if str(s) in names and str(t) in names
    }
    return [
        {
            "id": key,
            **value,
            "inEdges": [{"origin": o, "destination": d} for o, d in sorted(flows) if d == key],
            "outEdges": [{"origin": o, "destination": d} for o, d in sorted(flows) if o == key],
        }
        for key, value in sorted(node_data.items())
    ]


def _marquez_fields(stored: str | None) -> list[dict[str, Any]]:
    """A dobject's fields (flattened with dots, in the producer's order) as Marquez lists
    a dataset's: name, type, tags, description."""
    fields = json.loads(stored) if stored else []
    return [
        {"name": f["name"], "type": f["type"], "tags": [], "description": f["description"]}
        for f in fields
    ]


def _bad(reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=400)
