"""Runs and job versions in Marquez's shapes: a job's runs (newest first), one run, its
merged facets, and the job's versions (its transform's versions, newest first)."""

from __future__ import annotations

import uuid
from typing import Final

from lineage_read.database import RequestDb
from lineage_read.marquez.catalog import Page
from lineage_read.marquez.shapes import (
    LOCAL,
    job_facets,
    jobs_of,
    run_facets,
    run_from,
    run_json,
    run_parts,
    ts,
)

# The page of runs is chosen first, then built.
_RUNS: Final = f"""
WITH page AS (
    SELECT p.id AS run_id, count(*) OVER () AS total
      FROM projection.transforms t JOIN projection.runs p ON p.transform_id = t.id
     WHERE t.name = $1
     ORDER BY p.first_seen_at DESC, p.id DESC LIMIT $2 OFFSET $3
), {run_parts("page")}
SELECT {run_json()}::text AS item, page.total
  FROM page JOIN projection.runs r ON r.id = page.run_id {run_from(named=True)}
 ORDER BY r.first_seen_at DESC, r.id DESC
"""
_RUN: Final = f"""
WITH one AS (SELECT $1::uuid AS run_id), {run_parts("one")}
SELECT {run_json()}::text AS item FROM projection.runs r {run_from(named=True)} WHERE r.id = $1
"""
_FACETS: Final = f"""
SELECT r.id, CASE WHEN $2 = 'job' THEN {job_facets("r")} ELSE {run_facets("r")} END::text
  FROM projection.runs r WHERE r.id = $1
"""
# A version's inputs and outputs are those of its latest run.
_VERSIONS: Final = f"""
WITH vers AS (
    SELECT jb.namespace, jb.name, jb.facets, t.id AS version, t.registered_at,
           (SELECT x.id FROM projection.runs x WHERE x.transform_id = t.id
             ORDER BY x.first_seen_at DESC, x.id DESC LIMIT 1) AS run_id,
           count(*) OVER () AS total
      FROM {jobs_of("j.namespace = $1 AND j.name = $2", f"$1 = '{LOCAL}' AND t.name = $2")} jb
      JOIN projection.transforms t ON t.name = jb.transform_name
     WHERE $3::uuid IS NULL OR t.id = $3::uuid
     ORDER BY t.registered_at DESC, t.id DESC LIMIT $4 OFFSET $5
), {run_parts("vers")}
SELECT json_build_object(
         'id', json_build_object('namespace', jb.namespace, 'name', jb.name,
                                 'version', jb.version),
         'name', jb.name, 'createdAt', {ts("jb.registered_at")}, 'version', jb.version,
         'namespace', jb.namespace, 'location', jb.facets->'sourceCodeLocation'->>'url',
         'inputs', coalesce(ri.ids, '[]'::json), 'outputs', coalesce(ro.ids, '[]'::json),
         'latestRun', CASE WHEN r.id IS NULL THEN NULL
                           ELSE {run_json("r", ("jb.namespace", "jb.name"))} END
       )::text AS item, jb.total
  FROM vers jb LEFT JOIN projection.runs r ON r.id = jb.run_id {run_from()}
 ORDER BY jb.registered_at DESC, jb.version DESC
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
