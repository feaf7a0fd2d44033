"""The version-pinned walk (docs/reference/versions.md): what actually fed a version, and
what it fed. One WITH RECURSIVE statement, with the depth and node caps of lineage.py.

Upstream of a version: its run; upstream of a run: the version each shown input read
(or the plain dobject, for an input that read none: the walk stops there). Downstream of
a version: the runs whose inputs read it; downstream of a run: the versions it produced.
Node kinds are DOBJECT_VERSION, DOBJECT and RUN; ids are the version's, dobject's and
run's. Edges point the way data flows.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import cache
from typing import Any

from lineage_read import version_sql as vs
from lineage_read.database import RequestDb
from lineage_read.lineage import DIRECTIONS, MAX_NODES, WORK_CAP, Walk, _json

_WALK = """
WITH RECURSIVE walk(id, kind, dir, depth) AS (
    SELECT $1::uuid, 'DOBJECT_VERSION', d.dir, 0 FROM unnest($2::text[]) AS d(dir)
  UNION
    SELECT n.id, n.kind, w.dir, w.depth + 1
      FROM walk w
      CROSS JOIN LATERAL (
        SELECT v.run_id AS id, 'RUN' AS kind
          FROM projection.dobject_versions v
         WHERE w.dir = 'U' AND w.kind = 'DOBJECT_VERSION' AND v.id = w.id
        UNION ALL
        SELECT coalesce(b.version_id, i.dobject_id),
               CASE WHEN b.version_id IS NULL THEN 'DOBJECT' ELSE 'DOBJECT_VERSION' END
          FROM projection.run_inputs i
          CROSS JOIN LATERAL (SELECT {bound_i} AS version_id) b
         WHERE w.dir = 'U' AND w.kind = 'RUN' AND i.run_id = w.id AND {shown_i}
        UNION ALL
        SELECT i.run_id, 'RUN'
          FROM projection.dobject_versions v
          JOIN projection.run_inputs i ON i.dobject_id = v.dobject_id
         WHERE w.dir = 'D' AND w.kind = 'DOBJECT_VERSION' AND v.id = w.id AND {shown_i}
           AND {bound_i} = v.id
        UNION ALL
        SELECT o.id, 'DOBJECT_VERSION'
          FROM projection.dobject_versions o
         WHERE w.dir = 'D' AND w.kind = 'RUN' AND o.run_id = w.id{created_o}
      ) n
     WHERE w.depth < $3::int
),
visited AS (SELECT id, kind, depth FROM walk LIMIT $6::int),
nearest AS (SELECT id, kind, min(depth) AS depth FROM visited GROUP BY id, kind),
kept AS (
    SELECT id, kind, depth FROM nearest WHERE depth <= $4::int ORDER BY depth, id LIMIT $5::int
),
edges AS (
    -- the run that produced a version -> the version
    SELECT v.run_id AS source, k.id AS target
      FROM kept k JOIN projection.dobject_versions v ON v.id = k.id
     WHERE k.kind = 'DOBJECT_VERSION' AND v.run_id IN (SELECT id FROM kept WHERE kind = 'RUN')
    UNION
    -- what an input of a kept run read -> the run
    SELECT coalesce(b.version_id, i.dobject_id), i.run_id
      FROM kept r JOIN projection.run_inputs i ON i.run_id = r.id
      CROSS JOIN LATERAL (SELECT {bound_i} AS version_id) b
     WHERE r.kind = 'RUN' AND {shown_i}
       AND coalesce(b.version_id, i.dobject_id) IN (SELECT id FROM kept WHERE kind <> 'RUN')
)
SELECT
    EXISTS (SELECT 1 FROM projection.dobject_versions x WHERE x.id = $1::uuid{created_x})
      AS root_exists,
    (SELECT coalesce(json_agg(json_build_array(id, kind, depth) ORDER BY depth, id), '[]')
       FROM kept) AS nodes,
    (SELECT coalesce(json_agg(json_build_array(source, target) ORDER BY source, target), '[]')
       FROM edges) AS edges,
    (SELECT count(*) FROM nearest) > (SELECT count(*) FROM kept)
      OR (SELECT count(*) FROM visited) >= $6::int AS truncated
"""


@cache
def _statement(dated: bool) -> str:
    at = "$7::timestamptz" if dated else None
    return _WALK.format(
        bound_i=vs.bound_version("i", at),
        shown_i=vs.input_shown("i", at),
        created_o="" if at is None else f" AND o.created_at <= {at}",
        created_x="" if at is None else f" AND x.created_at <= {at}",
    )


async def version_walk(
    db: RequestDb,
    root: uuid.UUID,
    direction: str,
    depth: int,
    *,
    node_cap: int = MAX_NODES,
    at: datetime | None = None,
) -> Walk:
    """Nodes within `depth` hops of the version `root` in `direction`, as of `at`."""
    params: list[Any] = [root, DIRECTIONS[direction], depth + 1, depth, node_cap, WORK_CAP]
    if at is not None:
        params.append(at)
    row = (await db.rows(_statement(at is not None), *params))[0]
    return Walk(
        bool(row["root_exists"]),
        [(str(i), str(k), int(d)) for i, k, d in _json(row["nodes"])],
        [(str(s), str(t)) for s, t in _json(row["edges"])],
        bool(row["truncated"]),
    )
