"""The lineage walk: one WITH RECURSIVE statement with depth and node caps.

A dobject's writers are every run that produced a version of it (upstream of it), and a
run's outputs every dobject it wrote a version of (docs/reference/versions.md).

The walk is breadth first (Postgres evaluates a recursive CTE one level at a time),
`UNION` drops repeated (node, direction, depth) rows so cycles end at the depth
bound, and the LIMIT on `visited` stops the recursion itself once the work cap is
reached. It walks one hop further than asked: a node found only at depth + 1 is
exactly "a node left out by the depth", which is what `truncated` reports.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Final

from lineage_read import as_of, version_sql
from lineage_read.database import RequestDb
from lineage_read.shape import TODAY, Shape, Statements, shaped

MAX_DEPTH: Final = 50
MAX_NODES: Final = 10_000
WORK_CAP: Final = 200_000  # rows of the walk (a node may be reached at several depths)

_CTES = """
WITH RECURSIVE walk(id, kind, dir, depth) AS (
    SELECT $1::uuid, $2::text, d.dir, 0
      FROM unnest($3::text[]) AS d(dir)
  UNION
    SELECT n.id, n.kind, w.dir, w.depth + 1
      FROM walk w
      CROSS JOIN LATERAL (
        SELECT o.run_id AS id, 'RUN' AS kind
          FROM projection.dobject_versions o
         WHERE w.dir = 'U' AND w.kind = 'DOBJECT' AND o.dobject_id = w.id{created}
        UNION ALL
        SELECT i.dobject_id, 'DOBJECT'
          FROM projection.run_inputs i
         WHERE w.dir = 'U' AND w.kind = 'RUN' AND i.run_id = w.id
           AND {input_edge}
        UNION ALL
        SELECT i.run_id, 'RUN'
          FROM projection.run_inputs i
         WHERE w.dir = 'D' AND w.kind = 'DOBJECT' AND i.dobject_id = w.id
           AND {input_edge}
        UNION ALL
        SELECT o.dobject_id, 'DOBJECT'
          FROM projection.dobject_versions o
         WHERE w.dir = 'D' AND w.kind = 'RUN' AND o.run_id = w.id{created}
      ) n
     WHERE w.depth < $4::int
),
visited AS (SELECT id, kind, depth FROM walk LIMIT $7::int),
nearest AS (SELECT id, kind, min(depth) AS depth FROM visited GROUP BY id, kind),
kept AS (
    SELECT id, kind, depth FROM nearest WHERE depth <= $5::int ORDER BY depth, id LIMIT $6::int
),
kept_runs AS (SELECT id FROM kept WHERE kind = 'RUN'),
kept_dobjects AS (SELECT id FROM kept WHERE kind = 'DOBJECT'),
edges AS (
    SELECT i.dobject_id AS source, i.run_id AS target
      FROM projection.run_inputs i
     WHERE i.run_id IN (SELECT id FROM kept_runs)
       AND i.dobject_id IN (SELECT id FROM kept_dobjects)
       AND {input_edge}
    UNION ALL
    SELECT DISTINCT o.run_id, o.dobject_id
      FROM projection.dobject_versions o
     WHERE o.dobject_id IN (SELECT id FROM kept_dobjects)
       AND o.run_id IN (SELECT id FROM kept_runs){created}
)"""
_WALK = (
    _CTES
    + """
SELECT
    EXISTS (SELECT 1 FROM projection.{table} x WHERE x.id = $1::uuid AND {root_exists})
      AS root_exists,
    (SELECT coalesce(json_agg(json_build_array(id, kind, depth) ORDER BY depth, id), '[]')
       FROM kept) AS nodes,
    (SELECT coalesce(json_agg(json_build_array(source, target) ORDER BY source, target), '[]')
       FROM edges) AS edges,
    (SELECT count(*) FROM nearest) > (SELECT count(*) FROM kept)
      OR (SELECT count(*) FROM visited) >= $7::int AS truncated
"""
)


def _parts(kind: str, shape: Shape) -> dict[str, str]:
    at = shape.at
    return {
        "table": "runs" if kind == "RUN" else "dobjects",
        # every writer of a dobject: a run that produced some version of it (by then)
        "created": "" if at is None else f" AND o.created_at <= {at}",
        # the projector writes an input's dobject row with the edge: run_inputs suffices
        "input_edge": version_sql.input_shown("i", at),
        "root_exists": (as_of.run_exists if kind == "RUN" else as_of.dobject_exists)("x", at),
    }


def _statement(kind: str, shape: Shape) -> str:
    """The walk from a root of `kind`, of the statement shape (the instant at $8)."""
    return _WALK.format(**_parts(kind, shape))


def walk_ctes(kind: str) -> str:
    """The walk's WITH (from a root of `kind`, today's projection) for a statement that
    reads its nodes (`kept`, `kept_runs`, `kept_dobjects`) and `edges` (source, target)
    itself; its parameters $1..$7 are walk()'s."""
    return _CTES.format(**_parts(kind, TODAY))


# Table names come from this fixed map, never from the request.
_STATEMENTS: Final = {kind: Statements(partial(_statement, kind)) for kind in ("RUN", "DOBJECT")}
DIRECTIONS: Final = {"UPSTREAM": ["U"], "DOWNSTREAM": ["D"], "BOTH": ["U", "D"]}


@dataclass(frozen=True)
class Walk:
    root_exists: bool
    nodes: list[tuple[str, str, int]]  # id, kind, depth
    edges: list[tuple[str, str]]  # data flow source -> target
    truncated: bool


async def walk(
    db: RequestDb,
    root: uuid.UUID,
    kind: str,
    direction: str,
    depth: int,
    *,
    node_cap: int = MAX_NODES,
    at: datetime | None = None,
) -> Walk:
    """Nodes within `depth` hops of `root` (kind RUN or DOBJECT) in `direction`, as of
    `at` when given (the root must exist by then)."""
    shape, dated = shaped(at, "$8")
    params = (root, kind, DIRECTIONS[direction], depth + 1, depth, node_cap, WORK_CAP, *dated)
    row = (await db.rows(_STATEMENTS[kind][shape], *params))[0]
    return Walk(
        bool(row["root_exists"]),
        [(str(i), str(k), int(d)) for i, k, d in _json(row["nodes"])],
        [(str(s), str(t)) for s, t in _json(row["edges"])],
        bool(row["truncated"]),
    )


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value
