"""The rebuild's statements: one `INSERT ... SELECT` per projection table over the raw log.

See rebuild_sql.py for how they run. `{s}` is the target schema and `{raw}` the raw log.
"""

from __future__ import annotations

from typing import Final

# One statement per projection table, in this order; `{s}` is the target schema and `{raw}`
# the raw log (fixed names from this package, never user input).
# Each statement first projects the few fields it needs out of the JSONB payloads in a
# subquery fenced with OFFSET 0, so the sorts carry narrow rows, not whole payloads
# (a third less time at a million events).
_TRANSFORMS: Final = """
INSERT INTO {s}.transforms (id, type, name, version, title, reference,
                            registered_at, updated_at, updated_event_id)
SELECT DISTINCT ON (id) id, type, name, version, title, reference,
       min(occurred_at) OVER latest_first, occurred_at, event_id
FROM (
    SELECT (payload->'transform'->>'id')::uuid AS id,
           payload->'transform'->>'type' AS type,
           payload->'transform'->>'name' AS name,
           payload->'transform'->>'version' AS version,
           payload->'transform'->>'title' AS title,
           payload->'transform'->>'reference' AS reference,
           occurred_at, event_id
    FROM {raw}
    WHERE event_type IN ('TransformRegistered', 'RunStarted')
    OFFSET 0
) t
-- title/reference from the latest event carrying either (apply.TransformRow.attrs_key);
-- the window shares the ORDER BY, so one sort serves both
WINDOW latest_first AS (
    PARTITION BY id
    ORDER BY (title IS NOT NULL OR reference IS NOT NULL) DESC, occurred_at DESC, event_id DESC
    ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
ORDER BY id, (title IS NOT NULL OR reference IS NOT NULL) DESC, occurred_at DESC, event_id DESC
"""

_RUNS: Final = """
INSERT INTO {s}.runs (id, first_seen_at, name, transform_id, started_at, started_event_id,
                      status, finished_at, error, finished_event_id, parent_run_id)
WITH seen AS (
    -- a run is seen by its own events and by every RunStarted naming it as parent
    SELECT run_id, min(occurred_at) AS first_seen_at
    FROM (
        SELECT run_id, occurred_at FROM {raw} WHERE run_id IS NOT NULL
        UNION ALL
        SELECT (payload->>'parent_run_id')::uuid, occurred_at
        FROM {raw}
        WHERE event_type = 'RunStarted' AND jsonb_typeof(payload->'parent_run_id') = 'string'
    ) r
    GROUP BY run_id
), started AS (
    SELECT DISTINCT ON (run_id) run_id, name, transform_id, occurred_at AS started_at,
           event_id AS started_event_id, parent_run_id
    FROM (
        SELECT run_id, payload->>'run_name' AS name,
               (payload->'transform'->>'id')::uuid AS transform_id, occurred_at, event_id,
               (payload->>'parent_run_id')::uuid AS parent_run_id
        FROM {raw} WHERE event_type = 'RunStarted'
        OFFSET 0
    ) e
    ORDER BY run_id, occurred_at, event_id
), finished AS (
    SELECT DISTINCT ON (run_id) run_id, upper(status) AS status, occurred_at AS finished_at,
           error, event_id AS finished_event_id
    FROM (
        SELECT run_id, payload->>'status' AS status, payload->>'error' AS error,
               occurred_at, event_id
        FROM {raw} WHERE event_type = 'RunFinished'
        OFFSET 0
    ) e
    ORDER BY run_id, occurred_at, event_id
)
SELECT seen.run_id, seen.first_seen_at, s.name, s.transform_id, s.started_at,
       s.started_event_id, coalesce(f.status, 'STARTED'), f.finished_at, f.error,
       f.finished_event_id, s.parent_run_id
FROM seen
LEFT JOIN started s ON s.run_id = seen.run_id
LEFT JOIN finished f ON f.run_id = seen.run_id
"""

# A registration's version key and id, as lineage_core.ids.version_key/dobject_version_id
# (uuid-ossp's uuid_generate_v5; uuid::text is the canonical lowercase form). `d` is the
# registration's `dobject` object, extracted once per event.
_KEY: Final = """CASE
    WHEN d->>'hash' IS NOT NULL THEN 'hash:' || (d->>'hash')
    WHEN d->>'version' IS NOT NULL THEN 'label:' || (d->>'version')
    ELSE 'run:' || run_id::text END"""


def _version_id(dobject_id: str, key: str) -> str:
    return (
        f"uuid_generate_v5(uuid_ns_url(), 'lineage:dobject-version/' || {dobject_id}::text "
        f"|| '/' || {key})"
    )


# The registrations of `{types}` with their `dobject` object and their `fields` (only when
# an array: the only fields a registration is said to carry), read in one pass.
_REGISTRATIONS: Final = """(
    SELECT payload->'dobject' AS d,
           CASE WHEN jsonb_typeof(payload->'fields') = 'array' THEN payload->'fields' END
               AS fields,
           event_type = 'OutputRegistered' AS output, run_id, occurred_at, event_id, sequence
    FROM {raw} WHERE event_type IN ({types})
    OFFSET 0
)"""

# The earliest row of the window `w` carrying fields: its fields, occurred_at and event_id.
# `w` orders its partition by (occurred_at, event_id) over the whole partition, so the
# first element of each aggregate is the earliest; the sort is the one DISTINCT ON needs.
_FIRST_FIELDS: Final = """(array_agg(fields) FILTER (WHERE fields IS NOT NULL) OVER w)[1]
               AS fields,
           (array_agg(occurred_at) FILTER (WHERE fields IS NOT NULL) OVER w)[1] AS fields_at,
           (array_agg(event_id) FILTER (WHERE fields IS NOT NULL) OVER w)[1]
               AS fields_event_id"""


# The stored `fields` column of a registration's `fields` array, as apply.fields_json
# writes it: every key present, in the producer's order.
def _fields_json(fields: str) -> str:
    return f"""CASE WHEN {fields} IS NOT NULL THEN coalesce((
           SELECT jsonb_agg(jsonb_build_object('name', f->'name', 'type', f->'type',
                                               'description', f->'description') ORDER BY n)
           FROM jsonb_array_elements({fields}) WITH ORDINALITY AS e(f, n)
       ), '[]'::jsonb) END"""


# Versions and writes in one pass over the OutputRegistered events: each registration's
# version key and id are derived once.
_VERSIONS_AND_WRITES: Final = f"""
WITH registrations AS MATERIALIZED (
    SELECT *, {_version_id("dobject_id", "key")} AS version_id
    FROM (
        SELECT (d->>'id')::uuid AS dobject_id, {_KEY} AS key, run_id, occurred_at, event_id,
               sequence, (d->>'size')::bigint AS size, d->>'hash' AS hash,
               d->>'version' AS label, fields
        FROM {_REGISTRATIONS.replace("{types}", "'OutputRegistered'")} e
    ) k
), versions AS (
    INSERT INTO {{s}}.dobject_versions (id, dobject_id, key, run_id, created_at,
                                      created_event_id, size, hash, label, fields, fields_at,
                                      fields_event_id)
    SELECT version_id, dobject_id, key, run_id, occurred_at, event_id, size, hash, label,
           {_fields_json("fields")}, fields_at, fields_event_id
    FROM (
        -- a version's earliest registration, and its earliest carrying fields
        SELECT DISTINCT ON (dobject_id, version_id) version_id, dobject_id, key, run_id,
               occurred_at, event_id, size, hash, label, {_FIRST_FIELDS}
        FROM registrations
        WINDOW w AS (PARTITION BY dobject_id, version_id ORDER BY occurred_at, event_id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
        ORDER BY dobject_id, version_id, occurred_at, event_id
    ) v
)
INSERT INTO {{s}}.dobject_writes (event_id, dobject_id, version_id, run_id, occurred_at,
                                sequence)
SELECT event_id, dobject_id, version_id, run_id, occurred_at, sequence FROM registrations
"""

# The dobjects from the registrations alone (not from the versions table, so the two
# statements run side by side): the current version is the one of the latest write, ties
# to the later version (store.py's twin); only those versions' ids are derived here.
_DOBJECTS: Final = f"""
WITH registrations AS MATERIALIZED (
    SELECT (d->>'id')::uuid AS dobject_id,
           CASE WHEN output THEN {_KEY} END AS key,  -- a version's, for writes only
           run_id, occurred_at, event_id, d->>'name' AS name, d->>'suffix' AS suffix,
           (d->>'size')::bigint AS size, d->>'hash' AS hash, d->>'uri' AS uri, fields
    FROM {_REGISTRATIONS.replace("{types}", "'InputLoaded', 'OutputRegistered'")} e
), current AS (
    SELECT DISTINCT ON (dobject_id) dobject_id, {_version_id("dobject_id", "key")} AS id,
           run_id, occurred_at, event_id
    FROM (
        -- a version's earliest registration and the time of its latest
        SELECT DISTINCT ON (dobject_id, key) dobject_id, key, run_id, occurred_at, event_id,
               max(occurred_at) OVER w AS last_at
        FROM registrations
        WHERE key IS NOT NULL
        WINDOW w AS (PARTITION BY dobject_id, key ORDER BY occurred_at, event_id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
        ORDER BY dobject_id, key, occurred_at, event_id
    ) v
    ORDER BY dobject_id, last_at DESC, occurred_at DESC, id DESC
), created AS (
    -- the earliest registration of either kind, and the earliest carrying fields
    SELECT DISTINCT ON (dobject_id) dobject_id, name, suffix, size, hash, uri, occurred_at,
           event_id, {_FIRST_FIELDS}
    FROM registrations
    WINDOW w AS (PARTITION BY dobject_id ORDER BY occurred_at, event_id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
    ORDER BY dobject_id, occurred_at, event_id
)
INSERT INTO {{s}}.dobjects (id, name, suffix, size, hash, uri, created_at, created_event_id,
                          current_version_id, source_run_id, source_at, source_event_id,
                          fields, fields_at, fields_event_id)
SELECT c.dobject_id, c.name, c.suffix, c.size, c.hash, c.uri, c.occurred_at, c.event_id,
       v.id, v.run_id, v.occurred_at, v.event_id, {_fields_json("c.fields")}, c.fields_at,
       c.fields_event_id
FROM created c
LEFT JOIN current v ON v.dobject_id = c.dobject_id
"""

_RUN_INPUTS: Final = f"""
INSERT INTO {{s}}.run_inputs (run_id, dobject_id, loaded_at, event_id, hash, label)
SELECT DISTINCT ON (run_id, dobject_id) run_id, dobject_id, occurred_at, event_id, hash, label
FROM (
    SELECT run_id, (d->>'id')::uuid AS dobject_id, occurred_at, event_id,
           d->>'hash' AS hash, d->>'version' AS label
    FROM {_REGISTRATIONS.replace("{types}", "'InputLoaded'")} e
) i
ORDER BY run_id, dobject_id, occurred_at, event_id
"""

# Every edge of a dobject from its earliest registration carrying column lineage.
_COLUMN_EDGES: Final = """
INSERT INTO {s}.column_edges (target_dobject_id, target_field, source_dobject_id,
                              source_field, transformation, occurred_at, event_id)
WITH winner AS (
    SELECT DISTINCT ON (id) id, occurred_at, event_id
    FROM (
        SELECT (payload->'dobject'->>'id')::uuid AS id, occurred_at, event_id
        FROM {raw}
        WHERE event_type = 'OutputRegistered'
          AND jsonb_typeof(payload->'column_lineage') = 'array'
          AND jsonb_array_length(payload->'column_lineage') > 0
        OFFSET 0
    ) e
    ORDER BY id, occurred_at, event_id
)
SELECT w.id, entry->>'field', (input->>'dobject_id')::uuid, input->>'field',
       input->>'transformation', w.occurred_at, w.event_id
FROM winner w
JOIN {raw} r ON r.event_id = w.event_id,
     jsonb_array_elements(r.payload->'column_lineage') AS entry,
     jsonb_array_elements(entry->'inputs') AS input
"""

RAW: Final = "public.raw_events"

# The step that fills two tables (reported as one, with the rows of both).
VERSIONS_AND_WRITES: Final = "dobject_versions and dobject_writes"

STATEMENTS: Final = (
    ("transforms", _TRANSFORMS),
    ("runs", _RUNS),
    (VERSIONS_AND_WRITES, _VERSIONS_AND_WRITES),
    ("dobjects", _DOBJECTS),
    ("run_inputs", _RUN_INPUTS),
    ("column_edges", _COLUMN_EDGES),
)
