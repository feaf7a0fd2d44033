"""Impact: everything downstream of a dobject or a run, in one WITH RECURSIVE statement.

The walk goes from run to run (a run, then the runs that loaded one of its outputs), so
a chain of N runs costs N steps, not 2N; the dobjects downstream are then exactly the
outputs of those runs (and of a root run), every run that produced a version of one
counting as its writer, each one hop further than its nearest writer.

It is breadth first and `UNION` drops repeated (run, depth) rows, so each run comes
with every path length by which it is reachable: the shortest is its distance, the
longest orders the re-runs (a run that loads an output of another impacted run is
reached by a path two hops longer than that run's longest, so ordering by the longest
path puts every producer first). In a DAG the walk ends by itself; a cycle would go
round forever, so the walk stops at MAX_HOPS hops and at WORK_CAP rows (either sets
`truncated`, as the node cap does).

The count-only statement needs no distances: it keeps one row per run (`UNION` on the
id alone), which also ends on cycles, and returns two numbers.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Final

from lineage_read import as_of
from lineage_read.database import RequestDb
from lineage_read.rows import DObjectRow, RunRow
from lineage_read.shape import Shape, Statements, shaped

MAX_NODES: Final = 10_000
MAX_HOPS: Final = 1_000  # no real pipeline is this deep; a cycle is
WORK_CAP: Final = 200_000

# A run's outputs are the dobjects it produced a version of, every version's writer
# counting, not only the current version's (docs/reference/versions.md).
# The first runs: those that loaded the root dobject, or an output of the root run.
_FIRST = """
    SELECT i.run_id AS id, 1 AS depth
      FROM projection.run_inputs i
     WHERE $2::text = 'DOBJECT' AND i.dobject_id = $1::uuid AND {input_edge}
    UNION ALL
    SELECT i.run_id, 2
      FROM projection.dobject_versions v
      JOIN projection.run_inputs i ON i.dobject_id = v.dobject_id AND {input_edge}
     WHERE $2::text = 'RUN' AND v.run_id = $1::uuid AND {created}"""
# One step: the runs that loaded an output of a run reached.
_STEP = """
      JOIN projection.dobject_versions v ON v.run_id = w.id AND {created}
      JOIN projection.run_inputs i ON i.dobject_id = v.dobject_id AND {input_edge}"""
# The outputs of the runs reached and of a root run: the dobjects downstream, each at
# its nearest writer's distance plus one.
_OUTPUTS = """
    SELECT v.dobject_id AS id, min(s.distance) + 1 AS distance
      FROM (SELECT id, distance FROM {runs}
            UNION ALL SELECT $1::uuid, 0 WHERE $2::text = 'RUN') s
      JOIN projection.dobject_versions v ON v.run_id = s.id AND {created}
     WHERE NOT ($2::text = 'DOBJECT' AND v.dobject_id = $1::uuid)
     GROUP BY v.dobject_id"""

_IMPACT = """
WITH RECURSIVE walk(id, depth) AS (
    {first}
  UNION
    SELECT i.run_id, w.depth + 2
      FROM walk w {step}
     WHERE w.depth < $3::int
),
visited AS (SELECT id, depth FROM walk LIMIT $5::int),
runs_reached AS (
    SELECT id, min(depth) AS distance, max(depth) AS latest
      FROM visited
     WHERE NOT ($2::text = 'RUN' AND id = $1::uuid)
     GROUP BY id
),
reached AS (
    SELECT id, 'RUN' AS kind, distance, latest FROM runs_reached
    UNION ALL
    SELECT id, 'DOBJECT', distance, 0 FROM ({outputs}) d
),
kept AS (SELECT * FROM reached ORDER BY distance, kind, id LIMIT $4::int)
SELECT
    EXISTS (SELECT 1 FROM projection.{table} x WHERE x.id = $1::uuid AND {root_exists})
      AS root_exists,
    (SELECT coalesce(json_agg(json_build_array(id, distance) ORDER BY distance, id), '[]')
       FROM kept WHERE kind = 'RUN') AS runs,
    (SELECT coalesce(json_agg(json_build_array(id, distance) ORDER BY distance, id), '[]')
       FROM kept WHERE kind = 'DOBJECT') AS dobjects,
    (SELECT coalesce(json_agg(id ORDER BY latest, distance, id), '[]')
       FROM kept WHERE kind = 'RUN') AS rerun_order,
    (SELECT coalesce(json_agg(transform_id ORDER BY first, transform_id), '[]')
       FROM (SELECT r.transform_id, min(k.latest) AS first
               FROM kept k JOIN projection.runs r ON r.id = k.id
              WHERE k.kind = 'RUN' AND {started}
              GROUP BY r.transform_id) t) AS transforms,
    (SELECT count(*) FROM reached) > (SELECT count(*) FROM kept)
      OR (SELECT count(*) FROM visited) >= $5::int
      OR EXISTS (SELECT 1 FROM runs_reached WHERE distance >= $3::int) AS truncated,
    {rows}
"""
# Today's rows of the nodes kept come with the walk (whole table rows, read by name);
# as of an instant they are read through that instant's loaders instead.
_ROWS = """ARRAY(SELECT r FROM kept k JOIN projection.runs r ON r.id = k.id
                 WHERE k.kind = 'RUN') AS run_rows,
    ARRAY(SELECT d FROM kept k JOIN projection.dobjects d ON d.id = k.id
           WHERE k.kind = 'DOBJECT') AS dobject_rows"""

_COUNTS = """
WITH RECURSIVE walk(id) AS (
    SELECT id FROM ({first}) f
  UNION
    SELECT i.run_id
      FROM walk w {step}
),
visited AS (SELECT id FROM walk LIMIT $3::int),
runs_reached AS (
    SELECT id, 0 AS distance FROM visited WHERE NOT ($2::text = 'RUN' AND id = $1::uuid)
)
SELECT
    EXISTS (SELECT 1 FROM projection.{table} x WHERE x.id = $1::uuid AND {root_exists})
      AS root_exists,
    (SELECT count(*) FROM runs_reached) AS runs,
    (SELECT count(*) FROM ({outputs}) d) AS dobjects,
    (SELECT count(*) FROM visited) >= $3::int AS over
"""


def _statement(template: str, kind: str, shape: Shape) -> str:
    at = shape.at
    exists = as_of.run_exists if kind == "RUN" else as_of.dobject_exists
    # a version reached by its run existed by then (today the join is the proof)
    created = as_of.version_created("v", at)
    input_edge = as_of.input_edge("i", "v", at)
    return template.format(
        first=_FIRST.format(created=created, input_edge=input_edge),
        step=_STEP.format(created=created, input_edge=input_edge),
        outputs=_OUTPUTS.format(runs="runs_reached", created=created),
        table="runs" if kind == "RUN" else "dobjects",
        root_exists=exists("x", at),
        started="r.transform_id IS NOT NULL" if at is None else as_of.started("r", at),
        rows=_ROWS if at is None else "NULL AS run_rows, NULL AS dobject_rows",
    )


# Table names come from these fixed maps, never from the request.
_IMPACTS: Final = {k: Statements(partial(_statement, _IMPACT, k)) for k in ("RUN", "DOBJECT")}
_COUNTINGS: Final = {k: Statements(partial(_statement, _COUNTS, k)) for k in ("RUN", "DOBJECT")}


@dataclass(frozen=True)
class ImpactRows:
    root_exists: bool
    runs: list[tuple[uuid.UUID, int]]  # id, distance; nearest first
    dobjects: list[tuple[uuid.UUID, int]]
    rerun_order: list[uuid.UUID]
    transforms: list[uuid.UUID]
    truncated: bool
    run_rows: list[RunRow] | None  # the runs' rows, when they came with the walk
    dobject_rows: list[DObjectRow] | None


@dataclass(frozen=True)
class ImpactCounts:
    root_exists: bool
    runs: int
    dobjects: int
    truncated: bool


async def impact(
    db: RequestDb,
    root: uuid.UUID,
    kind: str,
    at: datetime | None = None,
    *,
    node_cap: int = MAX_NODES,
    max_hops: int = MAX_HOPS,
) -> ImpactRows:
    """Every node downstream of `root` (kind RUN or DOBJECT), as of `at` when given."""
    shape, dated = shaped(at, "$6")
    params = (root, kind, max_hops, node_cap, WORK_CAP, *dated)
    row = (await db.rows(_IMPACTS[kind][shape], *params))[0]
    run_rows, dobject_rows = row["run_rows"], row["dobject_rows"]
    return ImpactRows(
        root_exists=bool(row["root_exists"]),
        runs=[(uuid.UUID(i), d) for i, d in _json(row["runs"])],
        dobjects=[(uuid.UUID(i), d) for i, d in _json(row["dobjects"])],
        rerun_order=[uuid.UUID(i) for i in _json(row["rerun_order"])],
        transforms=[uuid.UUID(i) for i in _json(row["transforms"])],
        truncated=bool(row["truncated"]),
        run_rows=None if run_rows is None else [RunRow.of(r) for r in run_rows],
        dobject_rows=None if dobject_rows is None else [DObjectRow.of(d) for d in dobject_rows],
    )


async def impact_counts(
    db: RequestDb, root: uuid.UUID, kind: str, at: datetime | None = None
) -> ImpactCounts:
    """How many runs and dobjects are downstream of `root`, without listing them."""
    shape, dated = shaped(at, "$4")
    params = (root, kind, MAX_NODES + 2, *dated)  # a root run and one past the cap
    row = (await db.rows(_COUNTINGS[kind][shape], *params))[0]
    runs, dobjects = int(row["runs"]), int(row["dobjects"])
    truncated = bool(row["over"]) or runs + dobjects > MAX_NODES
    if truncated:  # report no more nodes than the full walk keeps
        runs, dobjects = _capped(runs, dobjects)
    return ImpactCounts(bool(row["root_exists"]), runs, dobjects, truncated)


def _capped(runs: int, dobjects: int) -> tuple[int, int]:
    over = max(0, runs + dobjects - MAX_NODES)
    cut_dobjects = min(over, dobjects)
    return runs - (over - cut_dobjects), dobjects - cut_dobjects


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value
