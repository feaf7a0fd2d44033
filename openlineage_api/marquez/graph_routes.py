"""Marquez's graphs: `lineage`, `column-lineage` and `runlineage/upstream`.

Marquez's graph has datasets and jobs; ours has dobjects and runs. Runs collapse into
their job (`job:<namespace>:<name>`), dobjects are datasets (`dataset:<namespace>:<name>`).
The walks are the API's recursive statements (lineage_read.lineage, .column_lineage,
.marquez.graph); Marquez's depth counts job hops, so `lineage` walks 2 x depth of our
hops (capped at 50). A job is walked from its latest run, a run from itself.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from lineage_read.column_lineage import column_walk
from lineage_read.database import RequestDb
from lineage_read.lineage import MAX_DEPTH
from lineage_read.marquez import catalog, graph
from openlineage_api.marquez.catalog_routes import dataset_ref, raw
from openlineage_api.marquez.params import (
    NodeId,
    bad,
    boolean,
    integer,
    node_id,
    not_found,
    run_uuid,
)

DEFAULT_DEPTH: Final = 20


def _depth(request: Request) -> int:
    depth = integer(request.query_params, "depth", DEFAULT_DEPTH, minimum=-(2**31))
    if not 1 <= depth <= MAX_DEPTH:
        raise bad(f"depth must be between 1 and {MAX_DEPTH}, got {depth}")
    return depth


def _edges(key: str, flows: set[tuple[str, str]]) -> dict[str, Any]:
    ordered = sorted(flows)
    return {
        "inEdges": [{"origin": o, "destination": d} for o, d in ordered if d == key],
        "outEdges": [{"origin": o, "destination": d} for o, d in ordered if o == key],
    }


async def get_lineage(request: Request, db: RequestDb, _: dict[str, str]) -> Response:
    node = node_id(request.query_params.get("nodeId"))
    depth = _depth(request)
    root, kind = await _root(db, node)
    if root is None:  # a job that has not run: itself alone
        item = await catalog.job(db, node.namespace, node.name)
        key = f"job:{node.namespace}:{node.name}"
        data = json.loads(item or "{}")
        alone = {"id": key, "type": "JOB", "data": data, "inEdges": [], "outEdges": []}
        return raw(json.dumps({"graph": [alone]}))
    return raw(await graph.lineage_graph(db, root, kind, min(2 * depth, MAX_DEPTH)))


async def _root(db: RequestDb, node: NodeId) -> tuple[uuid.UUID | None, str]:
    if node.kind == "run":
        run_id = uuid.UUID(node.name)
        if not await graph.run_jobs(db, [run_id]) and await _unknown_run(db, run_id):
            raise not_found(f"Run '{node.name}' not found.")
        return run_id, "RUN"
    if node.kind == "job":
        exists, latest = await graph.job_latest_run(db, node.namespace, node.name)
        if not exists:
            raise not_found(f"Job '{node.name}' not found.")
        return latest, "RUN"
    found = await catalog.resolve_dataset(db, node.namespace, node.name)
    if found is None:
        raise not_found(f"Dataset '{node.name}' not found.")
    return found.dobject_id, "DOBJECT"


async def _unknown_run(db: RequestDb, run_id: uuid.UUID) -> bool:
    from lineage_read.marquez import runs

    return await runs.run(db, run_id) is None


def _field_id(ds: graph.NodeData, field: str) -> str:
    return f"datasetField:{ds.namespace}:{ds.name}:{field}"


async def get_column_lineage(request: Request, db: RequestDb, _p: dict[str, str]) -> Response:
    node = node_id(request.query_params.get("nodeId"))
    depth = _depth(request)
    direction = "BOTH" if boolean(request.query_params, "withDownstream", False) else "UPSTREAM"
    roots: list[tuple[uuid.UUID, str | None]]
    if node.kind == "run":
        raise bad("column lineage takes a dataset, dataset field or job node id")
    if node.kind == "job":
        exists, _latest = await graph.job_latest_run(db, node.namespace, node.name)
        if not exists:
            raise not_found(f"Job '{node.name}' not found.")
        roots = [(d, None) for d in await graph.job_outputs(db, node.namespace, node.name)]
    else:
        found = await dataset_ref(db, node.namespace, node.name)
        roots = [(found.dobject_id, node.field)]
    edges: set[tuple[uuid.UUID, str, uuid.UUID, str, str | None]] = set()
    for dobject_id, field in roots:
        result = await column_walk(db, dobject_id, field, direction, depth)
        edges |= {
            (
                e.source_dobject_id,
                e.source_field,
                e.target_dobject_id,
                e.target_field,
                e.transformation,
            )
            for e in result.edges
        }
    known = await graph.datasets(
        db, list({e[0] for e in edges} | {e[2] for e in edges} | {r[0] for r in roots})
    )
    fields: set[tuple[uuid.UUID, str]] = {(e[0], e[1]) for e in edges} | {
        (e[2], e[3]) for e in edges
    }
    fields |= {(d, f) for d, f in roots if f is not None}
    inputs: dict[tuple[uuid.UUID, str], list[dict[str, Any]]] = defaultdict(list)
    flows: set[tuple[str, str]] = set()
    for sd, sf, td, tf, transformation in sorted(edges, key=str):
        if sd not in known or td not in known:
            continue
        src, dst = known[sd][0], known[td][0]
        kind, _, sub = (transformation or "").partition("/")
        inputs[td, tf].append(
            {
                "namespace": src.namespace,
                "dataset": src.name,
                "datasetVersion": None,
                "field": sf,
                "transformationDescription": sub or None,
                "transformationType": kind or None,
            }
        )
        flows.add((_field_id(src, sf), _field_id(dst, tf)))
    body = []
    for dobject_id, field in sorted(fields, key=str):
        if dobject_id not in known:
            continue
        ds, stored = known[dobject_id]
        kinds = {f.get("name"): f.get("type") for f in stored}
        first = inputs[dobject_id, field][0] if inputs[dobject_id, field] else {}
        key = _field_id(ds, field)
        body.append(
            {
                "id": key,
                "type": "DATASET_FIELD",
                "data": {
                    "namespace": ds.namespace,
                    "dataset": ds.name,
                    "datasetVersion": None,
                    "field": field,
                    "fieldType": kinds.get(field),
                    "transformationDescription": first.get("transformationDescription"),
                    "transformationType": first.get("transformationType"),
                    "inputFields": inputs[dobject_id, field],
                },
                **_edges(key, flows),
            }
        )
    return raw(json.dumps({"graph": body}))


async def get_run_lineage(request: Request, db: RequestDb, _: dict[str, str]) -> Response:
    given = request.query_params.get("runId")
    if not given:
        raise bad("query param runId is required")
    run_id = run_uuid(given)
    found = await graph.upstream(db, run_id, _depth(request))
    if found is None:
        raise not_found(f"Run '{given}' not found.")
    return raw(found)
