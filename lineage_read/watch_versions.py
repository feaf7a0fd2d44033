"""Facts of an OutputRegistered for the change detector: the version it registered
(created by it?), the (name, type) lists of that version and of the one before it, and
the dobjects whose `stale` it (or a late InputLoaded) turned true
(docs/reference/versions.md).

Staleness is judged "as of a stream sequence" B: a dobject's current version is the
version of its latest write by occurred_at among the writes with sequence <= B (ties to
the later version in (created_at, id) order), and only loads applied by B count. An
event at S made X stale when X is stale as of S and was not as of S - 1, so the answer
does not depend on how far the projection got meanwhile.
"""

from __future__ import annotations

from typing import Final

# (name, type) pairs of a fields list, in order, as JSON text.
_PAIRS: Final = """(SELECT jsonb_agg(jsonb_build_array(f.value->>'name', f.value->>'type')
                     ORDER BY f.ord)
            FROM jsonb_array_elements({fields}) WITH ORDINALITY AS f(value, ord))"""

# $1 the writes' event ids, $2 their sequences (parallel arrays): one row per write.
VERSION_OF_WRITE: Final = f"""
SELECT w.event_id, x.version_id, v.run_id,
       NOT EXISTS (SELECT 1 FROM projection.dobject_writes y
                    WHERE y.dobject_id = x.dobject_id AND y.version_id = x.version_id
                      AND y.sequence < w.seq) AS created,
       CASE WHEN jsonb_typeof(v.fields) = 'array'
            THEN {_PAIRS.format(fields="v.fields")}::text END AS fields,
       (SELECT CASE WHEN jsonb_typeof(p.fields) = 'array'
                    THEN {_PAIRS.format(fields="p.fields")}::text END
          FROM projection.dobject_versions p
         WHERE p.dobject_id = v.dobject_id AND (p.created_at, p.id) < (v.created_at, v.id)
           AND EXISTS (SELECT 1 FROM projection.dobject_writes z
                        WHERE z.dobject_id = p.dobject_id AND z.version_id = p.id
                          AND z.sequence < w.seq)
         ORDER BY p.created_at DESC, p.id DESC LIMIT 1) AS previous_fields
  FROM unnest($1::uuid[], $2::bigint[]) AS w(event_id, seq)
  JOIN projection.dobject_writes x ON x.event_id = w.event_id
  JOIN projection.dobject_versions v ON v.id = x.version_id
"""


def _current(dobject: str, bound: str) -> str:
    """The current version of `dobject` as of sequence `bound` (a row: id, run_id)."""
    return f"""(SELECT v.id, v.run_id FROM projection.dobject_writes x
                  JOIN projection.dobject_versions v ON v.id = x.version_id
                 WHERE x.dobject_id = {dobject} AND x.sequence <= {bound}
                 ORDER BY x.occurred_at DESC, v.created_at DESC, v.id DESC LIMIT 1)"""


def _current_id(dobject: str, bound: str) -> str:
    return f"(SELECT c.id FROM {_current(dobject, bound)} c)"


def _stale(version: str, bound: str) -> str:
    """Version `version` is stale as of sequence `bound`: an input of its run, loaded by
    then, binds a version (hash, else label, else the latest created by the load) that
    is not its dobject's current version."""
    return f"""EXISTS (
        SELECT 1 FROM projection.dobject_versions sv
          JOIN projection.run_inputs i ON i.run_id = sv.run_id
          JOIN public.raw_events le ON le.event_id = i.event_id AND le.sequence <= {bound}
          CROSS JOIN LATERAL (SELECT coalesce(
              (SELECT b.id FROM projection.dobject_versions b
                WHERE b.dobject_id = i.dobject_id AND i.hash IS NOT NULL AND b.hash = i.hash
                ORDER BY b.created_at, b.id LIMIT 1),
              (SELECT b.id FROM projection.dobject_versions b
                WHERE b.dobject_id = i.dobject_id AND i.label IS NOT NULL AND b.label = i.label
                ORDER BY b.created_at, b.id LIMIT 1),
              (SELECT b.id FROM projection.dobject_versions b
                WHERE b.dobject_id = i.dobject_id AND b.created_at <= i.loaded_at
                ORDER BY b.created_at DESC, b.id DESC LIMIT 1)) AS id) bound_version
         WHERE sv.id = {version}
           AND bound_version.id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM projection.dobject_versions own
                            WHERE own.dobject_id = i.dobject_id AND own.run_id = i.run_id)
           AND bound_version.id IS DISTINCT FROM {_current_id("i.dobject_id", bound)})"""


# $1 the written dobjects, $2 the events' sequences, $3 the loading runs (parallel
# arrays; an OutputRegistered has a dobject and no run, an InputLoaded a run and no
# dobject): per event, the dobjects (the written one, those whose writer runs loaded
# it, those the loading run wrote before its load arrived) that are stale as of its
# sequence S and were not as of S - 1, with their current version and its run.
BECAME_STALE: Final = f"""
WITH writes(dobject_id, seq, loader) AS (
    SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::uuid[])),
candidates AS (
    SELECT w.seq, w.dobject_id AS id FROM writes w WHERE w.dobject_id IS NOT NULL
    UNION
    SELECT w.seq, v.dobject_id FROM writes w
      JOIN projection.run_inputs i ON i.dobject_id = w.dobject_id
      JOIN projection.dobject_versions v ON v.run_id = i.run_id
    UNION
    SELECT w.seq, v.dobject_id FROM writes w
      JOIN projection.dobject_versions v ON v.run_id = w.loader
),
judged AS (
    SELECT c.seq, c.id, a.id AS version_id, a.run_id,
           {_current_id("c.id", "c.seq - 1")} AS before_id
      FROM candidates c
      CROSS JOIN LATERAL {_current("c.id", "c.seq")} a
)
SELECT j.seq, j.id AS dobject_id, j.version_id, j.run_id
  FROM judged j
 WHERE {_stale("j.version_id", "j.seq")}
   AND (j.before_id IS NULL OR NOT {_stale("j.before_id", "j.seq - 1")})
 ORDER BY j.seq, j.id
"""
