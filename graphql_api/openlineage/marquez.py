"""GET /api/v1/lineage?nodeId=dataset|job:<namespace>:<name>&depth=N in Marquez's shape.

Marquez's graph has datasets and jobs; ours has dobjects and runs. Runs collapse into
their job: `job:<namespace>:<name>` as OpenLineage named it, else `job:lineage:<transform
name>`. Dobjects that came from OpenLineage keep their `dataset:<namespace>:<name>`;
the others are `dataset:lineage:<dobject id>`. The walk is the API's one recursive query
(graphql_api.lineage_sql), both directions; Marquez's depth counts job hops, so it walks
2 x depth of our hops (capped at 50). A job's graph is walked from its latest run.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from graphql_api.context import RequestDb
from graphql_api.errors import LineageError
from graphql_api.lineage_sql import MAX_DEPTH, walk
from lineage_core.ids import dataset_dobject_id

LOCAL = "lineage"

_RUN_JOBS = """
SELECT r.id, t.name AS transform, ol.job_namespace, ol.job_name
  FROM projection.runs r
  LEFT JOIN projection.transforms t ON t.id = r.transform_id
  LEFT JOIN LATERAL (SELECT job_namespace, job_name FROM public.openlineage_events e
                      WHERE e.run_id = r.id AND e.job_name IS NOT NULL LIMIT 1) ol ON true
 WHERE r.id = ANY($1::uuid[])
"""
_OL_DATASETS = """
SELECT DISTINCT ds->>'namespace' AS namespace, ds->>'name' AS name
  FROM public.openlineage_events e,
       jsonb_array_elements(coalesce(e.payload->'inputs', '[]'::jsonb)
                            || coalesce(e.payload->'outputs', '[]'::jsonb)) ds
 WHERE e.run_id = ANY($1::uuid[])
"""
_OL_JOB_RUN = """
SELECT run_id FROM public.openlineage_events
 WHERE job_namespace = $1 AND job_name = $2 AND run_id IS NOT NULL
 ORDER BY event_time DESC, id DESC LIMIT 1
"""
_TRANSFORM_RUN = """
SELECT r.id FROM projection.runs r JOIN projection.transforms t ON t.id = r.transform_id
 WHERE t.name = $1 ORDER BY r.first_seen_at DESC, r.id DESC LIMIT 1
"""
_DOBJECTS = """
SELECT id, name, suffix, created_at FROM projection.dobjects WHERE id = ANY($1::uuid[])
"""


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
    db = resources.request_db()
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
        try:
            candidates.append(uuid.UUID(name))
        except ValueError:
            pass
    found = {row["id"] for row in await db.rows(_DOBJECTS, candidates)}
    return next((c for c in candidates if c in found), None)


async def _find_job_run(db: RequestDb, rest: str) -> uuid.UUID | None:
    """The latest run of the job `<namespace>:<name>` names (OpenLineage's, or for
    `lineage:<name>` the transform's); namespaces may contain ':' themselves."""
    for i, char in enumerate(rest):
        if char == ":":
            found = await db.rows(_OL_JOB_RUN, rest[:i], rest[i + 1 :])
            if found:
                return found[0]["run_id"]  # type: ignore[no-any-return]
    namespace, _, name = rest.partition(":")
    if namespace == LOCAL:
        found = await db.rows(_TRANSFORM_RUN, name)
        if found:
            return found[0]["id"]  # type: ignore[no-any-return]
    return None


async def _marquez_nodes(
    db: RequestDb, nodes: list[tuple[str, str, int]], edges: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    run_ids = [uuid.UUID(str(n[0])) for n in nodes if n[1] == "RUN"]
    dobject_ids = [uuid.UUID(str(n[0])) for n in nodes if n[1] == "DOBJECT"]
    names: dict[str, str] = {}
    node_data: dict[str, dict[str, Any]] = {}
    for row in await db.rows(_RUN_JOBS, run_ids):
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
        for r in await db.rows(_OL_DATASETS, run_ids)
        if r["namespace"] and r["name"]
    }
    for row in await db.rows(_DOBJECTS, dobject_ids):
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
                "fields": [],
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


def _bad(reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=400)
