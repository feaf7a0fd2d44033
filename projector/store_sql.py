"""The projector's SQL: one set-based statement per projection table, for any schema.

Every upsert's `ON CONFLICT ... DO UPDATE` keeps the same order-independent rules as the
merges of rows.py (the earliest or latest event by (occurred_at, event_id) wins), so a
row meeting the stored one ends as if both had been folded together.
"""

from __future__ import annotations

from typing import Final

from lineage_core.db.metadata import PROJECTION_SCHEMA
from lineage_core.db.tables import APPLIED_CHANNEL

# Held shared by every batch transaction and exclusively by `lineage rebuild`, so no
# batch is applied to a projection that is being replaced.
REBUILD_LOCK_KEY: Final = 7416002


# the dobject columns the earliest registration decides (the projection rules)
DOBJECT_CREATED_COLUMNS: Final = (
    "name",
    "suffix",
    "size",
    "hash",
    "uri",
    "created_at",
    "created_event_id",
)

# the dobject columns its current version decides
CURRENT_COLUMNS: Final = ("current_version_id", "source_run_id", "source_at", "source_event_id")

# the version columns its earliest registration decides
VERSION_CREATED_COLUMNS: Final = (
    "run_id",
    "created_at",
    "created_event_id",
    "size",
    "hash",
    "label",
)

# the run columns the earliest RunStarted decides (the parent included)
RUN_START_COLUMNS: Final = (
    "name",
    "transform_id",
    "started_at",
    "started_event_id",
    "parent_run_id",
)


def _sql(schema: str) -> dict[str, str]:
    """The statements for one projection schema (`projection`, or the rebuild's shadow)."""
    transform_newer = (
        "(excluded.title IS NOT NULL OR excluded.reference IS NOT NULL, excluded.updated_at, "
        "excluded.updated_event_id) > (t.title IS NOT NULL OR t.reference IS NOT NULL, "
        "t.updated_at, t.updated_event_id)"
    )
    start_wins = (
        "(excluded.started_event_id IS NOT NULL AND (r.started_event_id IS NULL OR "
        "(excluded.started_at, excluded.started_event_id) < (r.started_at, r.started_event_id)))"
    )
    finish_wins = (
        "(excluded.finished_event_id IS NOT NULL AND (r.finished_event_id IS NULL OR "
        "(excluded.finished_at, excluded.finished_event_id) "
        "< (r.finished_at, r.finished_event_id)))"
    )
    created_wins = (
        "((excluded.created_at, excluded.created_event_id) < (d.created_at, d.created_event_id))"
    )
    fields_wins = (
        "(excluded.fields_event_id IS NOT NULL AND (d.fields_event_id IS NULL OR "
        "(excluded.fields_at, excluded.fields_event_id) < (d.fields_at, d.fields_event_id)))"
    )
    version_created_wins = (
        "((excluded.created_at, excluded.created_event_id) < (v.created_at, v.created_event_id))"
    )
    version_fields_wins = (
        "(excluded.fields_event_id IS NOT NULL AND (v.fields_event_id IS NULL OR "
        "(excluded.fields_at, excluded.fields_event_id) < (v.fields_at, v.fields_event_id)))"
    )

    def pick(cond: str, alias: str, *cols: str) -> str:
        return ", ".join(
            f"{c} = CASE WHEN {cond} THEN excluded.{c} ELSE {alias}.{c} END" for c in cols
        )

    return {
        # Two statements on purpose: the rebuild lock must be held before any projection
        # table is opened, or a batch waiting on it would hold the table a rebuild swaps out.
        "rebuild_lock": f"SELECT pg_advisory_xact_lock_shared({REBUILD_LOCK_KEY})",
        "lock_state": (
            f"SELECT applied_sequence FROM {schema}.projection_state WHERE id = 1 FOR UPDATE"
        ),
        "transforms": f"""
INSERT INTO {schema}.transforms AS t (id, type, name, version, title, reference,
                                      registered_at, updated_at, updated_event_id)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::timestamptz[], $8::timestamptz[], $9::uuid[])
ON CONFLICT (id) DO UPDATE SET
  registered_at = LEAST(t.registered_at, excluded.registered_at),
  {pick(transform_newer, "t", "title", "reference", "updated_at", "updated_event_id")}
WHERE excluded.registered_at < t.registered_at OR {transform_newer}
""",
        "runs": f"""
INSERT INTO {schema}.runs AS r (id, first_seen_at, name, transform_id, started_at,
                                started_event_id, status, finished_at, error, finished_event_id,
                                parent_run_id)
SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::uuid[], $5::timestamptz[],
                     $6::uuid[], $7::text[], $8::timestamptz[], $9::text[], $10::uuid[],
                     $11::uuid[])
ON CONFLICT (id) DO UPDATE SET
  first_seen_at = LEAST(r.first_seen_at, excluded.first_seen_at),
  {pick(start_wins, "r", *RUN_START_COLUMNS)},
  {pick(finish_wins, "r", "status", "finished_at", "error", "finished_event_id")}
WHERE excluded.first_seen_at < r.first_seen_at OR {start_wins} OR {finish_wins}
""",
        # Written after the batch's versions and writes: each dobject's current version
        # is derived from all its writes (the latest write's version, ties to the later
        # version) as the row is written, so a written dobject's row is written once. A
        # late registration may have changed a version's run or created_at, so this is
        # recomputed, not compared against the batch alone.
        "dobjects": f"""
INSERT INTO {schema}.dobjects AS d (id, name, suffix, size, hash, uri, created_at,
                                    created_event_id, fields, fields_at, fields_event_id,
                                    current_version_id, source_run_id, source_at,
                                    source_event_id)
SELECT i, n, s, z, h, u, c, ce, f::jsonb, fa, fe, cv.id, cv.run_id, cv.created_at,
       cv.created_event_id
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[],
            $7::timestamptz[], $8::uuid[], $9::text[], $10::timestamptz[], $11::uuid[])
     AS x(i, n, s, z, h, u, c, ce, f, fa, fe)
LEFT JOIN LATERAL (
    SELECT v.id, v.run_id, v.created_at, v.created_event_id
    FROM {schema}.dobject_writes w JOIN {schema}.dobject_versions v ON v.id = w.version_id
    WHERE w.dobject_id = x.i
    ORDER BY w.occurred_at DESC, v.created_at DESC, v.id DESC
    LIMIT 1) cv ON true
ON CONFLICT (id) DO UPDATE SET
  {pick(created_wins, "d", *DOBJECT_CREATED_COLUMNS)},
  {pick(fields_wins, "d", "fields", "fields_at", "fields_event_id")},
  {", ".join(f"{c} = excluded.{c}" for c in CURRENT_COLUMNS)}
WHERE {created_wins} OR {fields_wins}
   OR ({", ".join(f"d.{c}" for c in CURRENT_COLUMNS)})
      IS DISTINCT FROM ({", ".join(f"excluded.{c}" for c in CURRENT_COLUMNS)})
""",
        "dobject_versions": f"""
INSERT INTO {schema}.dobject_versions AS v (id, dobject_id, key, run_id, created_at,
                                            created_event_id, size, hash, label,
                                            fields, fields_at, fields_event_id)
SELECT i, d, k, r, c, ce, z, h, l, f::jsonb, fa, fe
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::timestamptz[], $6::uuid[],
            $7::bigint[], $8::text[], $9::text[], $10::text[], $11::timestamptz[], $12::uuid[])
     AS x(i, d, k, r, c, ce, z, h, l, f, fa, fe)
ON CONFLICT (id) DO UPDATE SET
  {pick(version_created_wins, "v", *VERSION_CREATED_COLUMNS)},
  {pick(version_fields_wins, "v", "fields", "fields_at", "fields_event_id")}
WHERE {version_created_wins} OR {version_fields_wins}
""",
        "dobject_writes": f"""
INSERT INTO {schema}.dobject_writes (event_id, dobject_id, version_id, run_id, occurred_at,
                                     sequence)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::timestamptz[],
                     $6::bigint[])
ON CONFLICT (event_id) DO NOTHING
""",
        # A dobject's column edges all come from one event, the earliest carrying any: an
        # earlier one arriving late first removes the edges of the later one, then the
        # insert skips targets that already hold edges of an earlier event.
        "column_edges_superseded": f"""
DELETE FROM {schema}.column_edges c
USING unnest($1::uuid[], $2::timestamptz[], $3::uuid[]) AS w(target, at, ev)
WHERE c.target_dobject_id = w.target AND (w.at, w.ev) < (c.occurred_at, c.event_id)
""",
        "column_edges": f"""
INSERT INTO {schema}.column_edges (target_dobject_id, target_field, source_dobject_id,
                                   source_field, transformation, occurred_at, event_id)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[],
                     $6::timestamptz[], $7::uuid[]) AS u(t, tf, s, sf, tr, at, ev)
WHERE NOT EXISTS (
  SELECT 1 FROM {schema}.column_edges c
  WHERE c.target_dobject_id = u.t AND (c.occurred_at, c.event_id) < (u.at, u.ev))
ON CONFLICT (target_dobject_id, target_field, source_dobject_id, source_field) DO NOTHING
""",
        "run_inputs": f"""
INSERT INTO {schema}.run_inputs AS ri (run_id, dobject_id, loaded_at, event_id, hash, label)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::uuid[], $5::text[],
                     $6::text[])
ON CONFLICT (run_id, dobject_id) DO UPDATE SET
  loaded_at = excluded.loaded_at, event_id = excluded.event_id, hash = excluded.hash,
  label = excluded.label
WHERE (excluded.loaded_at, excluded.event_id) < (ri.loaded_at, ri.event_id)
""",
        "advance": f"""
WITH s AS (
  UPDATE {schema}.projection_state
  SET applied_sequence = GREATEST(applied_sequence, $1),
      last_event_at = GREATEST(last_event_at, $2), updated_at = now()
  WHERE id = 1 RETURNING applied_sequence)
SELECT applied_sequence, pg_notify('{APPLIED_CHANNEL}', applied_sequence::text) FROM s
""",
    }


_STATEMENTS: dict[str, dict[str, str]] = {}


def statements(schema: str = PROJECTION_SCHEMA) -> dict[str, str]:
    if schema not in _STATEMENTS:
        _STATEMENTS[schema] = _sql(schema)
    return _STATEMENTS[schema]
