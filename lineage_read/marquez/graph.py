"""What Marquez's graph routes need besides the walks (lineage_read.lineage and
lineage_read.column_lineage, one recursive statement each): the Marquez names and node
data of the runs' jobs and of the dobjects, a job's latest run, and a run's upstream
runs (one more recursive statement)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from lineage_read.database import RequestDb
from lineage_read.marquez.shapes import (
    DATASETS,
    LOCAL,
    RUN_JOINS,
    bound_version,
    dataset_json,
    job_json,
    job_laterals,
    jobs_of,
    latest_run,
    run_inputs,
    ts,
)


@dataclass(frozen=True)
class NodeData:
    """A graph node's Marquez namespace, name and `data` (JSON)."""

    namespace: str
    name: str
    data: Any


# Each run's job, then each distinct job's data once.
_RUN_JOBS: Final = f"""
WITH named AS (
    SELECT r.id, t.name AS transform_name FROM projection.runs r
      JOIN projection.transforms t ON t.id = r.transform_id
     WHERE r.id = ANY($1::uuid[])
),
built AS (
    SELECT jb.transform_name, jb.namespace, jb.name, {job_json()}::text AS data
      FROM (SELECT DISTINCT transform_name FROM named) dj
      CROSS JOIN LATERAL {
    jobs_of("j.transform_name = dj.transform_name", "t.name = dj.transform_name")
} jb
      {job_laterals()}
)
SELECT n.id, b.namespace, b.name, b.data FROM named n JOIN built b USING (transform_name)
"""
_DOBJECTS: Final = f"""
SELECT ds.dobject_id, ds.namespace, ds.name, ds.fields::text AS fields,
       {dataset_json()}::text AS data
  FROM {DATASETS} ds WHERE ds.dobject_id = ANY($1::uuid[])
"""
_ONE_JOB: Final = jobs_of("j.namespace = $1 AND j.name = $2", f"$1 = '{LOCAL}' AND t.name = $2")
_JOB_LATEST_RUN: Final = f"SELECT {latest_run('jb')} FROM {_ONE_JOB} jb"
_JOB_OUTPUTS: Final = f"""
SELECT o.dobject_id AS id FROM {_ONE_JOB} jb
  JOIN projection.transforms t ON t.name = jb.transform_name
  JOIN projection.runs r ON r.transform_id = t.id
  JOIN projection.dobject_versions o ON o.run_id = r.id  -- every dataset a run wrote
 GROUP BY o.dobject_id ORDER BY o.dobject_id
"""
# Upstream of a run: the producers of its inputs, theirs, ... `depth` runs deep.
_UPSTREAM: Final = f"""
WITH RECURSIVE up(run_id, depth) AS (
    SELECT $1::uuid, 1
  UNION
    SELECT v.run_id, u.depth + 1
      FROM up u JOIN projection.run_inputs i ON i.run_id = u.run_id
      JOIN projection.dobject_versions v ON v.id = {bound_version("i")}
     WHERE v.run_id <> u.run_id AND u.depth < $2
),
runs AS (SELECT run_id, min(depth) AS depth FROM up GROUP BY run_id LIMIT 10000)
SELECT json_build_object('runs', coalesce(json_agg(json_build_object(
    'job', json_build_object('namespace', coalesce(rj.namespace, '{LOCAL}'),
                             'name', coalesce(rj.name, rt.name), 'version', rt.id),
    'run', json_build_object('id', r.id, 'start', {ts("r.started_at")},
                             'end', {ts("r.finished_at")},
                             'status', CASE r.status WHEN 'STARTED' THEN 'RUNNING'
                                       ELSE r.status END),
    'inputs', (SELECT coalesce(json_agg(json_build_object(
                  'namespace', coalesce(n.namespace, '{LOCAL}'),
                  'name', coalesce(n.name, b.dobject_id::text),
                  'version', b.version, 'producedByRunId', bv.run_id) ORDER BY b.dobject_id),
                  '[]'::json)
                 FROM (SELECT i.dobject_id, {bound_version("i")} AS version
                         FROM {run_inputs("r.id")}) b
                 LEFT JOIN projection.dobject_versions bv ON bv.id = b.version
                 LEFT JOIN public.marquez_datasets n ON n.dobject_id = b.dobject_id)
  ) ORDER BY u.depth, r.first_seen_at DESC, r.id), '[]'::json))::text
  FROM runs u JOIN projection.runs r ON r.id = u.run_id {RUN_JOINS}
"""
_RUN_EXISTS: Final = "SELECT 1 FROM projection.runs WHERE id = $1"


async def run_jobs(db: RequestDb, run_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, NodeData]:
    """The job of each run that has one, named as Marquez names it."""
    rows = await db.rows(_RUN_JOBS, list(run_ids))
    return {r["id"]: NodeData(r["namespace"], r["name"], json.loads(r["data"])) for r in rows}


async def datasets(
    db: RequestDb, dobject_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[NodeData, list[dict[str, Any]]]]:
    """Each existing dobject's dataset node data and its stored fields."""
    rows = await db.rows(_DOBJECTS, list(dobject_ids))
    return {
        r["dobject_id"]: (
            NodeData(r["namespace"], r["name"], json.loads(r["data"])),
            json.loads(r["fields"]) if r["fields"] else [],
        )
        for r in rows
    }


async def job_latest_run(db: RequestDb, namespace: str, name: str) -> tuple[bool, uuid.UUID | None]:
    """Whether the job exists, and its latest run if it has one."""
    rows = await db.rows(_JOB_LATEST_RUN, namespace, name)
    return (True, rows[0][0]) if rows else (False, None)


async def job_outputs(db: RequestDb, namespace: str, name: str) -> list[uuid.UUID]:
    """The dobjects the job's runs wrote."""
    return [r[0] for r in await db.rows(_JOB_OUTPUTS, namespace, name)]


async def upstream(db: RequestDb, run_id: uuid.UUID, depth: int) -> str | None:
    """Marquez's upstream run lineage of a run (JSON), or None for an unknown run."""
    if not await db.rows(_RUN_EXISTS, run_id):
        return None
    return str((await db.rows(_UPSTREAM, run_id, depth))[0][0])
