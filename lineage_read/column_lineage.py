"""Column lineage: a walk over field-to-field edges, one WITH RECURSIVE statement.

Walked like `lineage` (dao/lineage.py): breadth first, `UNION` on (dobject, field,
direction, depth), one hop further than asked so that `truncated` knows whether the
depth left a field out, and the same node and work caps. Edges point the way data
flows: from an input's field to the output's field.

Roots: the given field, or else every field of the dobject: those of its schema and
those its edges name. An edge is shown only once both its dobjects are known to the
projection: a producer may name an input dobject that no event has registered yet
(or ever), and an edge to nothing would have no DObject to show.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, Final

from lineage_read.database import RequestDb
from lineage_read.lineage import DIRECTIONS, MAX_DEPTH, MAX_NODES, WORK_CAP

__all__ = ["MAX_DEPTH", "ColumnWalk", "column_walk"]

_WALK: Final = """
WITH RECURSIVE roots(field) AS (
    SELECT $2::text WHERE $2::text IS NOT NULL
    UNION
    SELECT f.value ->> 'name'
      FROM projection.dobjects d, jsonb_array_elements(coalesce(d.fields, '[]')) f
     WHERE $2::text IS NULL AND d.id = $1::uuid
    UNION
    SELECT e.target_field FROM projection.column_edges e
     WHERE $2::text IS NULL AND e.target_dobject_id = $1::uuid
    UNION
    SELECT e.source_field FROM projection.column_edges e
     WHERE $2::text IS NULL AND e.source_dobject_id = $1::uuid
),
walk(dobject_id, field, dir, depth) AS (
    SELECT $1::uuid, r.field, d.dir, 0
      FROM roots r CROSS JOIN unnest($3::text[]) AS d(dir)
  UNION
    SELECT n.dobject_id, n.field, w.dir, w.depth + 1
      FROM walk w
      CROSS JOIN LATERAL (
        SELECT e.source_dobject_id AS dobject_id, e.source_field AS field
          FROM projection.column_edges e
         WHERE w.dir = 'U' AND e.target_dobject_id = w.dobject_id AND e.target_field = w.field
        UNION ALL
        SELECT e.target_dobject_id, e.target_field
          FROM projection.column_edges e
         WHERE w.dir = 'D' AND e.source_dobject_id = w.dobject_id AND e.source_field = w.field
      ) n
     WHERE w.depth < $4::int
       AND EXISTS (SELECT 1 FROM projection.dobjects x WHERE x.id = n.dobject_id)
),
visited AS (SELECT dobject_id, field, depth FROM walk LIMIT $7::int),
nearest AS (
    SELECT dobject_id, field, min(depth) AS depth FROM visited GROUP BY dobject_id, field
),
kept AS (
    SELECT dobject_id, field, depth FROM nearest WHERE depth <= $5::int
     ORDER BY depth, dobject_id, field LIMIT $6::int
),
edges AS (  -- each kept field's incoming edges by the index, then their sources kept
    SELECT e.source_dobject_id, e.source_field, e.target_dobject_id, e.target_field,
           e.transformation
      FROM kept t
      CROSS JOIN LATERAL (
        SELECT * FROM projection.column_edges c
         WHERE c.target_dobject_id = t.dobject_id AND c.target_field = t.field
      ) e
     WHERE EXISTS (SELECT 1 FROM kept s
                    WHERE s.dobject_id = e.source_dobject_id AND s.field = e.source_field)
)
SELECT
    EXISTS (SELECT 1 FROM projection.dobjects WHERE id = $1::uuid) AS root_exists,
    (SELECT coalesce(json_agg(json_build_array(source_dobject_id, source_field,
                                               target_dobject_id, target_field, transformation)
                              ORDER BY target_dobject_id, target_field COLLATE "C",
                                       source_dobject_id, source_field COLLATE "C"), '[]')
       FROM edges) AS edges,
    (SELECT count(*) FROM nearest) > (SELECT count(*) FROM kept)
      OR (SELECT count(*) FROM visited) >= $7::int AS truncated
"""


@dataclass(frozen=True)
class ColumnEdgeRow:
    source_dobject_id: uuid.UUID
    source_field: str
    target_dobject_id: uuid.UUID
    target_field: str
    transformation: str | None


@dataclass(frozen=True)
class ColumnWalk:
    root_exists: bool
    edges: list[ColumnEdgeRow]
    truncated: bool


async def column_walk(
    db: RequestDb,
    dobject_id: uuid.UUID,
    field: str | None,
    direction: str,
    depth: int,
    *,
    node_cap: int = MAX_NODES,
) -> ColumnWalk:
    """Field-to-field edges within `depth` hops of the dobject's field (or of each field)."""
    row = (
        await db.rows(
            _WALK, dobject_id, field, DIRECTIONS[direction], depth + 1, depth, node_cap, WORK_CAP
        )
    )[0]
    return ColumnWalk(
        bool(row["root_exists"]),
        [
            ColumnEdgeRow(uuid.UUID(sd), sf, uuid.UUID(td), tf, tr)
            for sd, sf, td, tf, tr in _json(row["edges"])
        ],
        bool(row["truncated"]),
    )


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value
