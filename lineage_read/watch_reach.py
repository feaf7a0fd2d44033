"""Which watched roots a change reaches: one recursive walk from the changed nodes.

A watch on root R (direction UPSTREAM, depth N) watches the nodes within N hops upstream
of R. Rather than walk every watch's graph for every change, the walk starts at the
changed node and goes the other way: a node upstream of R is one from which R is
downstream, so walking DOWNSTREAM from the node finds the UPSTREAM watches and walking
UPSTREAM finds the DOWNSTREAM ones (BOTH watches are found either way). The nodes it
reaches, with their distance, are joined on the watches' root ids: the cost is the
changed node's own neighbourhood up to the deepest watch, whatever the number of
watches (docs/watches.md).

"As each change is applied": every edge counts only once the event that made it had
been applied when the change's event was (its stream sequence is not greater), so a run
that joins a watched graph after its RunStarted gets no RUN_STARTED, however far behind
the detector runs. Edges are the lineage walk's (lineage_read/lineage.py): a dobject's
writer runs upstream of it, a run's loaded inputs (not its own outputs) upstream of it.

Both statements walk from the changes the detector recorded in public.lineage_changes
with a sequence in ($1, $2], at most $3 hops.
"""

from __future__ import annotations

from typing import Final

# Cap on rows of one walk (a node may be reached at several depths): a change to a node
# with a huge neighbourhood costs at most this much, and watches past it miss the change
# (counted and logged by the caller: docs/watches.md says what that costs).
WORK_CAP: Final = 200_000

# Rows of the watched-nodes walk (below) allowed per change of the chunk: its rows are
# one index probe each, a change's walk about 14 rows of several.
WATCHED_ROWS_PER_CHANGE: Final = 16

# The graph's edges, each with the stream sequence of the event that made it. A
# dobject's writers are the producers of its versions (docs/reference/versions.md), each
# from its earliest write of the version it produced.
_WRITERS_OF: Final = """
    SELECT v.run_id AS id, min(x.sequence) AS sequence
      FROM projection.dobject_versions v
      CROSS JOIN LATERAL ({first_write}) x
     WHERE v.dobject_id = w.id
     GROUP BY v.run_id
"""
_OUTPUTS_OF: Final = """
    SELECT v.dobject_id AS id, min(x.sequence) AS sequence
      FROM projection.dobject_versions v
      CROSS JOIN LATERAL ({first_write}) x
     WHERE v.run_id = w.id
     GROUP BY v.dobject_id
"""
# A version's first write by its producer, looked up per version (the writes' dobject
# index): a join let the planner hash the whole writes table once per walk row.
_FIRST_WRITE: Final = """
    SELECT min(x.sequence) AS sequence FROM projection.dobject_writes x
     WHERE x.dobject_id = v.dobject_id AND x.version_id = v.id AND x.run_id = v.run_id
"""
# An input edge is hidden while the run itself produced a version of that dobject.
_OWN_OUTPUT: Final = """
    EXISTS (SELECT 1 FROM projection.dobject_versions v
             WHERE v.dobject_id = i.dobject_id AND v.run_id = i.run_id)
"""

# Each walk row carries its change's kind, so matching needs no join back to the
# changes (estimated at one row, the planner looped over all of them per match).
_WALK: Final = """
WITH RECURSIVE changes(seq, ordinal, id, kind, change) AS (
    SELECT sequence, ordinal, node_id, node_kind, kind
      FROM public.lineage_changes WHERE sequence > $1::bigint AND sequence <= $2::bigint
),
{watched}walk(seq, ordinal, change, id, kind, dir, depth) AS (
    SELECT c.seq, c.ordinal, c.change, c.id, c.kind, d.dir, 0
      FROM changes c CROSS JOIN ({dirs}) AS d(dir){start_filter}
  UNION
    SELECT w.seq, w.ordinal, w.change, n.id, n.kind, w.dir, w.depth + 1
      FROM walk w
      CROSS JOIN LATERAL (
        SELECT o.id, 'RUN' AS kind FROM ({writers_of}) o
         WHERE w.dir = 'U' AND w.kind = 'DOBJECT' AND o.sequence <= w.seq
        UNION ALL
        SELECT i.dobject_id, 'DOBJECT'
          FROM projection.run_inputs i JOIN public.raw_events e ON e.event_id = i.event_id
         WHERE w.dir = 'U' AND w.kind = 'RUN' AND i.run_id = w.id AND e.sequence <= w.seq
           AND NOT {own_output}
        UNION ALL
        SELECT i.run_id, 'RUN'
          FROM projection.run_inputs i JOIN public.raw_events e ON e.event_id = i.event_id
         WHERE w.dir = 'D' AND w.kind = 'DOBJECT' AND i.dobject_id = w.id
           AND e.sequence <= w.seq AND NOT {own_output}
        UNION ALL
        SELECT o.id, 'DOBJECT' FROM ({outputs_of}) o
         WHERE w.dir = 'D' AND w.kind = 'RUN' AND o.sequence <= w.seq
      ) n
     WHERE w.depth < $3::int
),
visited AS (SELECT * FROM walk LIMIT {cap}),
reached AS (SELECT seq, ordinal, change, id, kind, dir, min(depth) AS distance
              FROM visited GROUP BY seq, ordinal, change, id, kind, dir)
"""


# The detector walks a direction only if some watch is found by it.
_WATCHED_DIRS: Final = """
    SELECT 'D' WHERE EXISTS (SELECT 1 FROM public.watches WHERE direction <> 'DOWNSTREAM')
    UNION ALL
    SELECT 'U' WHERE EXISTS (SELECT 1 FROM public.watches WHERE direction <> 'UPSTREAM')
"""
_BOTH_DIRS: Final = "SELECT unnest(ARRAY['U', 'D'])"


# The nodes from which some watched root can be reached, walked back from the roots
# (each to its own depth) over every edge the projection has, ignoring when each edge
# was made: a superset of what any change's walk can reach, so a change at a node
# outside it reaches no watch and is not walked. Most changes are far from every watch;
# this walk costs the watched graphs' size once per chunk instead of a neighbourhood per
# change. It is given up (every change walked, as without it) past $4 rows, which the
# detector sets from the chunk's number of changes, so a chunk of a few changes never
# pays for the whole watched graph.
_WATCHED: Final = """
watched_walk(id, kind, dir, remaining) AS (
    SELECT x.root_id, x.root_kind, d.dir, x.depth
      FROM public.watches x CROSS JOIN (VALUES ('D'), ('U')) AS d(dir)
     WHERE x.direction IN ('BOTH', CASE d.dir WHEN 'D' THEN 'UPSTREAM' ELSE 'DOWNSTREAM' END)
  UNION
    SELECT n.id, n.kind, w.dir, w.remaining - 1
      FROM watched_walk w
      CROSS JOIN LATERAL (
        SELECT v.run_id AS id, 'RUN' AS kind FROM projection.dobject_versions v
         WHERE w.dir = 'D' AND w.kind = 'DOBJECT' AND v.dobject_id = w.id
        UNION ALL
        SELECT i.dobject_id, 'DOBJECT' FROM projection.run_inputs i
         WHERE w.dir = 'D' AND w.kind = 'RUN' AND i.run_id = w.id
        UNION ALL
        SELECT i.run_id, 'RUN' FROM projection.run_inputs i
         WHERE w.dir = 'U' AND w.kind = 'DOBJECT' AND i.dobject_id = w.id
        UNION ALL
        SELECT v.dobject_id, 'DOBJECT' FROM projection.dobject_versions v
         WHERE w.dir = 'U' AND w.kind = 'RUN' AND v.run_id = w.id
      ) n
     WHERE w.remaining > 0
),
watched AS (SELECT id, kind, dir FROM watched_walk LIMIT $4::int + 1),
pruned AS (SELECT count(*) <= $4::int AS complete FROM watched),
"""
_IN_WATCHED: Final = """
     WHERE NOT (SELECT complete FROM pruned)
        OR (c.id, c.kind, d.dir) IN (SELECT id, kind, dir FROM watched)"""


def _walk(dirs: str, *, prune: bool = False) -> str:
    return _WALK.format(
        writers_of=_WRITERS_OF.format(first_write=_FIRST_WRITE),
        outputs_of=_OUTPUTS_OF.format(first_write=_FIRST_WRITE),
        own_output=_OWN_OUTPUT,
        cap=WORK_CAP,
        dirs=dirs,
        watched=_WATCHED if prune else "",
        start_filter=_IN_WATCHED if prune else "",
    )


# The durable watches each change of ($1, $2] reaches, as delivery rows of the
# detector's transaction ($4: the bound of the watched-nodes walk, above). A watch
# delivers the changes after its `from_sequence`, of its kinds, within its depth;
# several paths to one root give the shortest distance.
INSERT_DELIVERIES: Final = (
    _walk(_WATCHED_DIRS, prune=True)
    + """
, matched AS (
    SELECT r.seq, r.ordinal, x.id AS watch_id, min(r.distance) AS distance
      FROM reached r
      JOIN public.watches x ON x.root_id = r.id AND x.root_kind = r.kind
     WHERE r.distance <= x.depth AND r.seq > x.from_sequence AND r.change = ANY(x.kinds)
       AND (x.direction = 'BOTH'
            OR x.direction = CASE r.dir WHEN 'D' THEN 'UPSTREAM' ELSE 'DOWNSTREAM' END)
     GROUP BY r.seq, r.ordinal, x.id
)
INSERT INTO public.watch_deliveries
    (id, watch_id, sequence, ordinal, kind, occurred_at, distance,
     dobject_id, version_id, run_id)
SELECT gen_random_uuid(), m.watch_id, l.sequence, l.ordinal, l.kind, l.occurred_at,
       m.distance, l.dobject_id, l.version_id, l.run_id
  FROM matched m
  JOIN public.lineage_changes l ON l.sequence = m.seq AND l.ordinal = m.ordinal
ON CONFLICT (watch_id, sequence, ordinal) DO NOTHING
"""
)

# The roots among $4 (ids) that each change of ($1, $2] reaches, with the direction of
# the walk that found them ('D' finds UPSTREAM roots) and the distance: what the API's
# live subscriptions match against.
REACHED_ROOTS: Final = (
    _walk(_BOTH_DIRS)
    + """
SELECT r.seq, r.ordinal, r.id, r.kind, r.dir, r.distance
  FROM reached r
 WHERE r.id = ANY($4::uuid[])
"""
)

MAX_WATCH_DEPTH: Final = "SELECT coalesce(max(depth), 0) FROM public.watches"
