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

_DOBJECTS_TEMPLATE: Final = """
INSERT INTO {s}.dobjects (id, name, suffix, size, hash, uri, created_at, created_event_id,
                          current_version_id, source_run_id, source_at, source_event_id,
                          fields, fields_at, fields_event_id)
WITH created AS (
    SELECT DISTINCT ON (id) *
    FROM (
        SELECT (payload->'dobject'->>'id')::uuid AS id, payload->'dobject'->>'name' AS name,
               payload->'dobject'->>'suffix' AS suffix,
               (payload->'dobject'->>'size')::bigint AS size,
               payload->'dobject'->>'hash' AS hash, payload->'dobject'->>'uri' AS uri,
               occurred_at AS created_at, event_id AS created_event_id
        FROM {raw} WHERE event_type IN ('InputLoaded', 'OutputRegistered')
        OFFSET 0
    ) e
    ORDER BY id, created_at, created_event_id
), schema AS (
    -- the earliest registration carrying fields, of either kind
    SELECT DISTINCT ON (id) id, occurred_at, event_id
    FROM (
        SELECT (payload->'dobject'->>'id')::uuid AS id, occurred_at, event_id
        FROM {raw}
        WHERE event_type IN ('InputLoaded', 'OutputRegistered')
          AND jsonb_typeof(payload->'fields') = 'array'
        OFFSET 0
    ) e
    ORDER BY id, occurred_at, event_id
), current AS (
    -- the version of the latest write, ties to the later version (store.py's twin)
    SELECT DISTINCT ON (w.dobject_id) w.dobject_id AS id, v.id AS version_id, v.run_id,
           v.created_at, v.created_event_id
    FROM {s}.dobject_writes w JOIN {s}.dobject_versions v ON v.id = w.version_id
    ORDER BY w.dobject_id, w.occurred_at DESC, v.created_at DESC, v.id DESC
)
SELECT c.id, c.name, c.suffix, c.size, c.hash, c.uri, c.created_at, c.created_event_id,
       v.version_id, v.run_id, v.created_at, v.created_event_id,
       {fields}, f.occurred_at, f.event_id
FROM created c
LEFT JOIN current v ON v.id = c.id
LEFT JOIN schema f ON f.id = c.id
LEFT JOIN {raw} r ON r.event_id = f.event_id
"""

# A registration's version key and id, as lineage_core.ids.version_key/dobject_version_id
# (uuid-ossp's uuid_generate_v5; uuid::text is the canonical lowercase form).
_KEY: Final = """CASE
    WHEN payload->'dobject'->>'hash' IS NOT NULL THEN 'hash:' || (payload->'dobject'->>'hash')
    WHEN payload->'dobject'->>'version' IS NOT NULL
        THEN 'label:' || (payload->'dobject'->>'version')
    ELSE 'run:' || run_id::text END"""


def _version_id(dobject_id: str, key: str) -> str:
    return (
        f"uuid_generate_v5(uuid_ns_url(), 'lineage:dobject-version/' || {dobject_id}::text "
        f"|| '/' || {key})"
    )


# The fields of the registration `r` as apply.fields_json writes them: every key present.
_FIELDS_OF_R: Final = """coalesce((
           SELECT jsonb_agg(jsonb_build_object('name', f->'name', 'type', f->'type',
                                               'description', f->'description') ORDER BY n)
           FROM jsonb_array_elements(r.payload->'fields') WITH ORDINALITY AS e(f, n)
       ), '[]'::jsonb)"""

_DOBJECTS: Final = _DOBJECTS_TEMPLATE.replace(
    "{fields}", f"CASE WHEN f.id IS NOT NULL THEN {_FIELDS_OF_R} END"
)

_DOBJECT_VERSIONS: Final = f"""
INSERT INTO {{s}}.dobject_versions (id, dobject_id, key, run_id, created_at, created_event_id,
                                  size, hash, label, fields, fields_at, fields_event_id)
WITH keyed AS (
    SELECT (payload->'dobject'->>'id')::uuid AS dobject_id, {_KEY} AS key, run_id,
           occurred_at, event_id, (payload->'dobject'->>'size')::bigint AS size,
           payload->'dobject'->>'hash' AS hash, payload->'dobject'->>'version' AS label,
           jsonb_typeof(payload->'fields') = 'array' AS has_fields
    FROM {{raw}} WHERE event_type = 'OutputRegistered'
), created AS (
    SELECT DISTINCT ON (dobject_id, key) * FROM keyed
    ORDER BY dobject_id, key, occurred_at, event_id
), schema AS (
    SELECT DISTINCT ON (dobject_id, key) dobject_id, key, occurred_at, event_id
    FROM keyed WHERE has_fields
    ORDER BY dobject_id, key, occurred_at, event_id
)
SELECT {_version_id("c.dobject_id", "c.key")}, c.dobject_id, c.key, c.run_id, c.occurred_at,
       c.event_id, c.size, c.hash, c.label,
       CASE WHEN f.event_id IS NOT NULL THEN {_FIELDS_OF_R} END, f.occurred_at, f.event_id
FROM created c
LEFT JOIN schema f ON f.dobject_id = c.dobject_id AND f.key = c.key
LEFT JOIN {{raw}} r ON r.event_id = f.event_id
"""

_DOBJECT_WRITES: Final = f"""
INSERT INTO {{s}}.dobject_writes (event_id, dobject_id, version_id, run_id, occurred_at,
                                sequence)
SELECT event_id, dobject_id, {_version_id("dobject_id", "key")}, run_id, occurred_at, sequence
FROM (
    SELECT event_id, (payload->'dobject'->>'id')::uuid AS dobject_id, {_KEY} AS key, run_id,
           occurred_at, sequence
    FROM {{raw}} WHERE event_type = 'OutputRegistered'
    OFFSET 0
) e
"""

_RUN_INPUTS: Final = """
INSERT INTO {s}.run_inputs (run_id, dobject_id, loaded_at, event_id, hash, label)
SELECT DISTINCT ON (run_id, dobject_id) run_id, dobject_id, occurred_at, event_id, hash, label
FROM (
    SELECT run_id, (payload->'dobject'->>'id')::uuid AS dobject_id, occurred_at, event_id,
           payload->'dobject'->>'hash' AS hash, payload->'dobject'->>'version' AS label
    FROM {raw} WHERE event_type = 'InputLoaded'
    OFFSET 0
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

STATEMENTS: Final = (
    ("transforms", _TRANSFORMS),
    ("runs", _RUNS),
    ("dobject_versions", _DOBJECT_VERSIONS),
    ("dobject_writes", _DOBJECT_WRITES),
    ("dobjects", _DOBJECTS),
    ("run_inputs", _RUN_INPUTS),
    ("column_edges", _COLUMN_EDGES),
)

# A statement that reads other rebuilt tables runs once they are filled.
PREREQUISITES: Final[dict[str, tuple[str, ...]]] = {
    "dobjects": ("dobject_versions", "dobject_writes"),
}
