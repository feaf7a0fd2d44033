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
from lineage_read.lineage import DIRECTIONS, MAX_NODES, WORK_CAP, walk_ctes
from lineage_read.marquez.shapes import (
    DATASETS,
    LOCAL,
    bound_version,
    dataset_json,
    input_edge,
    jobs_built,
    jobs_of,
    latest_run,
    ts,
)


@dataclass(frozen=True)
class NodeData:
    """A graph node's Marquez namespace, name and `data` (JSON)."""

    namespace: str
    name: str
    data: Any


def _jobs_of_runs(runs: str) -> str:
    """CTEs: `named`, each run of `runs` (a relation of run ids `id`) with its
    transform's name, then jobs_built's of each distinct job, its data built once."""
    return f"""
named AS (
    SELECT r.id, t.name AS transform_name FROM {runs} q
      JOIN projection.runs r ON r.id = q.id JOIN projection.transforms t ON t.id = r.transform_id
),
jobs AS (
    SELECT jb.* FROM (SELECT DISTINCT transform_name FROM named) dj
     CROSS JOIN LATERAL {
        jobs_of("j.transform_name = dj.transform_name", "t.name = dj.transform_name")
    } jb
), {jobs_built("jobs")}"""


_RUN_JOBS: Final = f"""WITH {_jobs_of_runs("unnest($1::uuid[]) AS q(id)")}
SELECT n.id, b.namespace, b.name, b.item::text AS data
  FROM named n JOIN built b USING (transform_name)
"""


def _edge_lists(direction: str) -> str:
    """A CTE of each node key's in- or out-edges as one JSON list, grouped once over
    `flows` (rather than a scan of `flows` per node)."""
    end = "destination" if direction == "in" else "origin"
    return f"""{direction}_edges AS (
    SELECT f.{end} AS key, json_agg(json_build_object('origin', f.origin,
                                                      'destination', f.destination)
                                    ORDER BY f.origin COLLATE "C", f.destination COLLATE "C")
             AS edges
      FROM flows f GROUP BY f.{end}
)"""


def _graph(kind: str) -> str:
    """Marquez's graph of the walk from a root of `kind` (its parameters $1..$7, those
    of lineage_read.lineage.walk): runs collapse into their jobs, nodes in key order,
    each with its edges; all built in the walk's statement."""
    return f"""{walk_ctes(kind)}, {_jobs_of_runs("kept_runs")},
keyed AS (
    SELECT n.id, 'job:' || b.namespace || ':' || b.name AS key, 'JOB' AS type, b.item AS data
      FROM named n JOIN built b USING (transform_name)
    UNION ALL
    SELECT ds.dobject_id, 'dataset:' || ds.namespace || ':' || ds.name, 'DATASET',
           {dataset_json()}
      FROM {DATASETS} ds  -- an array, so that both parts of DATASETS read their indexes
     WHERE ds.dobject_id = ANY((SELECT array_agg(id) FROM kept_dobjects)::uuid[])
),
flows AS (
    SELECT DISTINCT s.key AS origin, t.key AS destination
      FROM edges e JOIN keyed s ON s.id = e.source JOIN keyed t ON t.id = e.target
     WHERE s.key <> t.key
),
nodes AS (SELECT DISTINCT ON (k.key) k.key, k.type, k.data FROM keyed k ORDER BY k.key),
{_edge_lists("in")}, {_edge_lists("out")}
SELECT json_build_object('graph', coalesce(json_agg(json_build_object(
         'id', n.key, 'type', n.type, 'data', n.data,
         'inEdges', coalesce(ie.edges, '[]'::json), 'outEdges', coalesce(oe.edges, '[]'::json))
         ORDER BY n.key COLLATE "C"), '[]'::json))::text
  FROM nodes n LEFT JOIN in_edges ie ON ie.key = n.key LEFT JOIN out_edges oe ON oe.key = n.key
"""


_GRAPH: Final = {kind: _graph(kind) for kind in ("RUN", "DOBJECT")}
_DOBJECTS: Final = f"""
SELECT ds.dobject_id, ds.namespace, ds.name, ds.fields::text AS fields,
       {dataset_json()}::text AS data
  FROM {DATASETS} ds WHERE ds.dobject_id = ANY($1::uuid[])
"""
_ONE_JOB: Final = jobs_of("j.namespace = $1 AND j.name = $2", f"$1 = '{LOCAL}' AND t.name = $2")
_JOB_LATEST_RUN: Final = f"SELECT {latest_run('jb.transform_name')} FROM {_ONE_JOB} jb"
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
                         FROM projection.run_inputs i WHERE {input_edge("i", "r.id")}) b
                 LEFT JOIN projection.dobject_versions bv ON bv.id = b.version
                 LEFT JOIN public.marquez_datasets n ON n.dobject_id = b.dobject_id)
  ) ORDER BY u.depth, r.first_seen_at DESC, r.id), '[]'::json))::text
  FROM runs u JOIN projection.runs r ON r.id = u.run_id
  LEFT JOIN projection.transforms rt ON rt.id = r.transform_id
  LEFT JOIN public.marquez_jobs rj ON rj.transform_name = rt.name
"""
_RUN_EXISTS: Final = "SELECT 1 FROM projection.runs WHERE id = $1"


async def run_jobs(db: RequestDb, run_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, NodeData]:
    """The job of each run that has one, named as Marquez names it."""
    rows = await db.rows(_RUN_JOBS, list(run_ids))
    return {r["id"]: NodeData(r["namespace"], r["name"], json.loads(r["data"])) for r in rows}


async def lineage_graph(db: RequestDb, root: uuid.UUID, kind: str, hops: int) -> str:
    """Marquez's `{"graph": [...]}` (JSON text) of everything within `hops` of `root`
    (of `kind` RUN or DOBJECT), upstream and downstream."""
    params = (root, kind, DIRECTIONS["BOTH"], hops, hops, MAX_NODES, WORK_CAP)
    # planning this statement (its walk, the jobs' latest runs, the datasets) took about
    # as long as running it on bench/bench_marquez.py's graph of depth 20; its plan is
    # the same for every root and depth, so it is made once per session
    return str((await db.rows_planned_once(_GRAPH[kind], *params))[0][0])


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
