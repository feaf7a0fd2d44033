"""Runs and job versions in Marquez's shapes: a job's runs (newest first), one run, its
merged facets, and the job's versions (its transform's versions, newest first)."""

from __future__ import annotations

import uuid
from typing import Final

from lineage_read.database import RequestDb
from lineage_read.marquez.catalog import Page
from lineage_read.marquez.shapes import (
    LOCAL,
    RUN_JOINS,
    dataset_id,
    job_facets,
    jobs_of,
    run_facets,
    run_inputs,
    run_json,
    run_outputs,
    ts,
)

_RUNS: Final = f"""
SELECT {run_json()}::text AS item, count(*) OVER () AS total
  FROM projection.transforms t JOIN projection.runs r ON r.transform_id = t.id {RUN_JOINS}
 WHERE t.name = $1
 ORDER BY r.first_seen_at DESC, r.id DESC LIMIT $2 OFFSET $3
"""
_RUN: Final = (
    f"SELECT {run_json()}::text AS item FROM projection.runs r {RUN_JOINS} WHERE r.id = $1"
)
_FACETS: Final = f"""
SELECT r.id, CASE WHEN $2 = 'job' THEN {job_facets("r")} ELSE {run_facets("r")} END::text
  FROM projection.runs r WHERE r.id = $1
"""
# A version's inputs and outputs are those of its latest run.
_VERSIONS: Final = f"""
SELECT json_build_object(
         'id', json_build_object('namespace', jb.namespace, 'name', jb.name, 'version', t.id),
         'name', jb.name, 'createdAt', {ts("t.registered_at")}, 'version', t.id,
         'namespace', jb.namespace, 'location', jb.facets->'sourceCodeLocation'->>'url',
         'inputs', (SELECT coalesce(json_agg({dataset_id("i.dobject_id")} ORDER BY i.dobject_id),
                                    '[]'::json)
                      FROM {run_inputs("lr.id")}),
         'outputs', (SELECT coalesce(json_agg({dataset_id("o.id")} ORDER BY o.id), '[]'::json)
                       FROM {run_outputs("lr.id")} o),
         'latestRun', (SELECT {run_json()} FROM projection.runs r {RUN_JOINS} WHERE r.id = lr.id)
       )::text AS item, count(*) OVER () AS total
  FROM {jobs_of("j.namespace = $1 AND j.name = $2", f"$1 = '{LOCAL}' AND t.name = $2")} jb
  JOIN projection.transforms t ON t.name = jb.transform_name
  LEFT JOIN LATERAL (SELECT x.id FROM projection.runs x WHERE x.transform_id = t.id
                      ORDER BY x.first_seen_at DESC, x.id DESC LIMIT 1) lr ON true
 WHERE $3::uuid IS NULL OR t.id = $3::uuid
 ORDER BY t.registered_at DESC, t.id DESC LIMIT $4 OFFSET $5
"""


async def job_runs(db: RequestDb, transform_name: str, limit: int, offset: int) -> Page:
    rows = await db.rows(_RUNS, transform_name, limit, offset)
    return Page(tuple(r["item"] for r in rows), int(rows[0]["total"]) if rows else 0)


async def run(db: RequestDb, run_id: uuid.UUID) -> str | None:
    rows = await db.rows(_RUN, run_id)
    return str(rows[0]["item"]) if rows else None


async def facets(db: RequestDb, run_id: uuid.UUID, kind: str) -> str | None:
    """The run's (kind `run`) or its job's (`job`) facets merged over its events."""
    rows = await db.rows(_FACETS, run_id, kind)
    return str(rows[0][1]) if rows else None


async def job_versions(
    db: RequestDb,
    namespace: str,
    name: str,
    *,
    limit: int,
    offset: int,
    version: uuid.UUID | None = None,
) -> Page:
    rows = await db.rows(_VERSIONS, namespace, name, version, limit, offset)
    return Page(tuple(r["item"] for r in rows), int(rows[0]["total"]) if rows else 0)
