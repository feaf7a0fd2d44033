"""SQL fragments that build Marquez's JSON shapes (its resource models, as 0.50.0 serves
them) from the projection and the registry. Each is a fixed text over fixed aliases;
the routes' values only ever arrive as bound parameters.

Names: an OpenLineage dataset or job keeps its namespace and name (the registry); what
our own SDK recorded lives in namespace `lineage`: a dobject is named by its id, a job
by its transform's name.
"""

from __future__ import annotations

from typing import Final

LOCAL: Final = "lineage"


def ts(expr: str) -> str:
    """An instant as Marquez writes it: ISO 8601 in UTC with microseconds."""
    return f"""to_char(({expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


def fields(expr: str) -> str:
    """A stored field list [{name, type, description}] as Marquez's dataset fields."""
    return f"""(SELECT coalesce(json_agg(json_build_object(
        'name', f.v->>'name', 'type', f.v->>'type', 'tags', '[]'::json,
        'description', f.v->>'description') ORDER BY f.o), '[]'::json)
      FROM jsonb_array_elements(coalesce({expr}, '[]'::jsonb)) WITH ORDINALITY AS f(v, o))"""


def dataset_id(expr: str) -> str:
    """{namespace, name} of the dataset that is dobject `expr`."""
    return f"""(SELECT json_build_object('namespace', coalesce(n.namespace, '{LOCAL}'),
                                         'name', coalesce(n.name, ({expr})::text))
      FROM (SELECT 1) AS one LEFT JOIN public.marquez_datasets n ON n.dobject_id = ({expr}))"""


# Every dataset, OpenLineage's and the SDK's, as one relation `ds`; filters on
# `namespace` reach both branches (the SDK's is skipped unless it asks for `lineage`).
DATASETS: Final = f"""(
    SELECT m.namespace, m.name, m.dobject_id, m.source_name, m.type, m.created_at,
           m.updated_at, m.modified_at, m.fields, m.facets, m.description,
           m.name AS physical_name,
           (SELECT c.current_version_id FROM projection.dobjects c
             WHERE c.id = m.dobject_id) AS current_version
      FROM public.marquez_datasets m
    UNION ALL
    SELECT '{LOCAL}', d.id::text, d.id, '{LOCAL}', 'DB_TABLE', d.created_at,
           greatest(d.created_at, d.source_at), d.source_at, d.fields, '{{}}'::jsonb, NULL,
           d.name || d.suffix, d.current_version_id
      FROM projection.dobjects d
     WHERE NOT EXISTS (SELECT 1 FROM public.marquez_datasets x WHERE x.dobject_id = d.id)
)"""


def dataset_json(alias: str = "ds") -> str:
    a = alias
    return f"""json_build_object(
        'id', json_build_object('namespace', {a}.namespace, 'name', {a}.name),
        'type', {a}.type, 'name', {a}.name, 'physicalName', {a}.physical_name,
        'createdAt', {ts(a + ".created_at")}, 'updatedAt', {ts(a + ".updated_at")},
        'namespace', {a}.namespace, 'sourceName', {a}.source_name,
        'fields', {fields(a + ".fields")}, 'tags', '[]'::json,
        'lastModifiedAt', {ts(a + ".modified_at")}, 'lastLifecycleState', NULL,
        'description', {a}.description, 'currentVersion', {a}.current_version,
        'columnLineage', NULL,
        'facets', {a}.facets, 'deleted', false)"""


def jobs_of(ol_where: str = "true", sdk_where: str = "true", *, first: str = "") -> str:
    """Every job as `jb`: OpenLineage's (the registry, alias `j`, filtered by `ol_where`)
    and the SDK's transforms by name (alias `t`, `sdk_where`, applied before grouping).
    With `first` (an expression), each part gives only its first `first` jobs by
    (namespace, name), read in its index's order: what a page of jobs needs."""
    ol_order = f"ORDER BY j.namespace, j.name LIMIT {first}" if first else ""
    sdk_order = f"ORDER BY t.name LIMIT {first}" if first else ""
    return f"""(
    (SELECT j.namespace, j.name, j.transform_name, j.type, j.created_at, j.updated_at,
            j.facets, j.declared_inputs, j.declared_outputs
       FROM public.marquez_jobs j WHERE {ol_where} {ol_order})
    UNION ALL
    (SELECT '{LOCAL}', t.name, t.name, 'BATCH', min(t.registered_at), max(t.updated_at),
            '{{}}'::jsonb, NULL::jsonb, NULL::jsonb
       FROM projection.transforms t
      WHERE ({sdk_where})
        AND NOT EXISTS (SELECT 1 FROM public.marquez_jobs x WHERE x.transform_name = t.name)
      GROUP BY t.name {sdk_order})
)"""


JOBS: Final = jobs_of()


def run_state(r: str) -> str:
    return f"""CASE {r}.status WHEN 'STARTED' THEN 'RUNNING' WHEN 'COMPLETED' THEN 'COMPLETED'
        ELSE CASE WHEN EXISTS (SELECT 1 FROM public.openlineage_events ab
                                WHERE ab.run_id = {r}.id AND ab.event_type = 'ABORT')
                  THEN 'ABORTED' ELSE 'FAILED' END END"""


def run_facets(r: str) -> str:
    """The run facets of its OpenLineage events, in eventTime order, later keys winning."""
    return f"""(SELECT coalesce(jsonb_object_agg(f.key, f.value ORDER BY e.event_time, e.id),
                           '{{}}'::jsonb)
      FROM public.openlineage_events e,
           jsonb_each(CASE WHEN jsonb_typeof(e.payload->'run'->'facets') = 'object'
                           THEN e.payload->'run'->'facets' ELSE '{{}}'::jsonb END) f
     WHERE e.run_id = {r}.id)"""


def job_facets(r: str) -> str:
    """The job facets of the run's OpenLineage events, merged the same way."""
    return f"""(SELECT coalesce(jsonb_object_agg(f.key, f.value ORDER BY e.event_time, e.id),
                           '{{}}'::jsonb)
      FROM public.openlineage_events e,
           jsonb_each(CASE WHEN jsonb_typeof(e.payload->'job'->'facets') = 'object'
                           THEN e.payload->'job'->'facets' ELSE '{{}}'::jsonb END) f
     WHERE e.run_id = {r}.id)"""


def run_json(r: str = "r", job: tuple[str, str] | None = None) -> str:
    """A Marquez Run of projection.runs row `r`; needs run_from(r) in the FROM (and
    run_parts in the WITH). `job` is the (namespace, name) of its job where the caller
    has them; else `rj` (run_from(r, named=True): its OpenLineage job, or its
    transform's name)."""
    namespace, name = job or (f"coalesce(rj.namespace, '{LOCAL}')", "coalesce(rj.name, rt.name)")
    facets = "coalesce(rf.facets, '{}'::jsonb)"
    return f"""json_build_object(
        'id', {r}.id, 'createdAt', {ts(r + ".first_seen_at")},
        'updatedAt', {ts(f"greatest({r}.first_seen_at, {r}.started_at, {r}.finished_at)")},
        'nominalStartTime', rf.facets->'nominalTime'->'nominalStartTime',
        'nominalEndTime', rf.facets->'nominalTime'->'nominalEndTime',
        'state', {run_state(r)},
        'startedAt', {ts(r + ".started_at")}, 'endedAt', {ts(r + ".finished_at")},
        'durationMs', (extract(epoch FROM {r}.finished_at - {r}.started_at) * 1000)::bigint,
        'args', '{{}}'::json,
        'jobVersion', CASE WHEN rt.id IS NULL THEN NULL ELSE json_build_object(
            'namespace', {namespace}, 'name', {name}, 'version', rt.id) END,
        'inputDatasetVersions', coalesce(ri.versions, '[]'::json),
        'outputDatasetVersions', coalesce(ro.versions, '[]'::json),
        'context', '{{}}'::json, 'facets', {facets})"""


def _version_entry(x: str) -> str:
    return f"""json_build_object('datasetVersionId', json_build_object(
                 'namespace', {x}.ns, 'name', {x}.nm, 'version', {x}.version),
               'facets', '{{}}'::json)"""


def _named(dobject: str) -> str:
    return f"coalesce(n.namespace, '{LOCAL}') AS ns, coalesce(n.name, ({dobject})::text) AS nm"


def run_parts(runs: str) -> str:
    """CTEs (to follow others in a WITH) over the runs named by column `run_id` of CTE
    `runs`, each built for all of them in one pass: `run_in` and `run_out`, a run's
    inputs' and outputs' dataset ids (`ids`) and versions (`versions`, an input without
    one left out), and `run_fx`, its facets merged over its events in eventTime order.
    Each is aggregated from rows sorted once, in the order Marquez lists them, and
    materialized: computed once however the planner joins it."""
    return f"""
run_ids AS (SELECT DISTINCT q.run_id FROM {runs} q WHERE q.run_id IS NOT NULL),
run_in AS MATERIALIZED (
    SELECT x.run_id, json_agg(json_build_object('namespace', x.ns, 'name', x.nm)) AS ids,
           json_agg({_version_entry("x")}) FILTER (WHERE x.version IS NOT NULL) AS versions
      FROM (SELECT i.run_id, i.dobject_id, {_named("i.dobject_id")}, {bound_version("i")} AS version
              FROM run_ids q JOIN projection.run_inputs i ON i.run_id = q.run_id
              LEFT JOIN public.marquez_datasets n ON n.dobject_id = i.dobject_id
             WHERE NOT EXISTS (SELECT 1 FROM projection.dobject_versions own
                                WHERE own.dobject_id = i.dobject_id AND own.run_id = i.run_id)
             ORDER BY i.run_id, i.dobject_id) x
     GROUP BY x.run_id
),
run_out AS MATERIALIZED (
    SELECT y.run_id,
           json_agg(json_build_object('namespace', y.ns, 'name', y.nm)) FILTER (WHERE y.first)
             AS ids,
           json_agg({_version_entry("y")}) AS versions
      FROM (SELECT v.run_id, v.dobject_id, v.id AS version, {_named("v.dobject_id")},
                   row_number() OVER (PARTITION BY v.run_id, v.dobject_id
                                      ORDER BY v.created_at, v.id) = 1 AS first
              FROM run_ids q JOIN projection.dobject_versions v ON v.run_id = q.run_id
              LEFT JOIN public.marquez_datasets n ON n.dobject_id = v.dobject_id
             ORDER BY v.run_id, v.dobject_id, v.created_at, v.id) y
     GROUP BY y.run_id
),
run_fx AS MATERIALIZED (
    SELECT e.run_id, public.lineage_jsonb_merge(e.facets) AS facets
      FROM (SELECT e.run_id,
                   CASE WHEN jsonb_typeof(e.payload->'run'->'facets') = 'object'
                        THEN e.payload->'run'->'facets' ELSE '{{}}'::jsonb END AS facets
              FROM run_ids q JOIN public.openlineage_events e ON e.run_id = q.run_id
             ORDER BY e.run_id, e.event_time, e.id) e
     GROUP BY e.run_id
)"""


def run_from(r: str = "r", *, named: bool = False) -> str:
    """The FROM items after projection.runs row `r` (a LEFT JOIN's null too) that
    run_json reads: `rt` its transform, run_parts' `ri`, `ro` and `rf`; with `named`,
    `rj` its OpenLineage job."""
    job = "LEFT JOIN public.marquez_jobs rj ON rj.transform_name = rt.name" if named else ""
    return f"""
  LEFT JOIN projection.transforms rt ON rt.id = {r}.transform_id {job}
  LEFT JOIN run_in ri ON ri.run_id = {r}.id
  LEFT JOIN run_out ro ON ro.run_id = {r}.id
  LEFT JOIN run_fx rf ON rf.run_id = {r}.id"""


def input_edge(i: str, run: str) -> str:
    """Row `i` of projection.run_inputs is an input edge of run `run`: not a dobject the
    run produced a version of."""
    return f"""{i}.run_id = {run}
       AND NOT EXISTS (SELECT 1 FROM projection.dobject_versions own
                        WHERE own.dobject_id = {i}.dobject_id AND own.run_id = {i}.run_id)"""


def bound_version(i: str) -> str:
    """The version input `i` read: the latest of its hash, else of its label, else the
    latest created at or before it was loaded; null for none. Each step reads the
    versions' (dobject, created_at, id) index backwards."""

    def latest(condition: str) -> str:
        return f"""(SELECT bv.id FROM projection.dobject_versions bv
                     WHERE bv.dobject_id = {i}.dobject_id AND {condition}
                     ORDER BY bv.created_at DESC, bv.id DESC LIMIT 1)"""

    # an input without a hash (or label) skips that step without reading an index
    hashed, labelled = (
        f"{i}.hash IS NOT NULL AND bv.hash = {i}.hash",
        f"{i}.label IS NOT NULL AND bv.label = {i}.label",
    )
    return f"""coalesce({latest(hashed)}, {latest(labelled)},
                        {latest(f"bv.created_at <= {i}.loaded_at")})"""


def latest_run(transform_name: str) -> str:
    """The id of the latest run (by first seen, then id) of the job of `transform_name`."""
    return f"""(SELECT lr.id FROM projection.transforms lt
                 JOIN projection.runs lr ON lr.transform_id = lt.id
                WHERE lt.name = {transform_name}
                ORDER BY lr.first_seen_at DESC, lr.id DESC LIMIT 1)"""


def jobs_built(jobs: str) -> str:
    """CTEs (to follow others in a WITH) that build the Marquez Job of every row of CTE
    `jobs` (jobs_of()'s columns) at once, as `built(namespace, name, transform_name,
    item)`: each job's latest run, then run_parts of those runs."""
    run = run_json("r", ("jb.namespace", "jb.name"))
    return f"""
latest AS (
    SELECT jb.*, lr.id AS run_id FROM {jobs} jb
      LEFT JOIN LATERAL (
        SELECT x.id FROM projection.transforms lt
          JOIN projection.runs x ON x.transform_id = lt.id
         WHERE lt.name = jb.transform_name
         ORDER BY x.first_seen_at DESC, x.id DESC LIMIT 1) lr ON true
),
{run_parts("latest")},
built AS (
    SELECT jb.namespace, jb.name, jb.transform_name, {job_json("jb")} AS item
      FROM latest jb LEFT JOIN projection.runs r ON r.id = jb.run_id
      {run_from("r")}
      CROSS JOIN LATERAL (SELECT CASE WHEN r.id IS NULL THEN NULL ELSE {run} END AS run
                          OFFSET 0) lrj
)"""


def job_json(jb: str = "jb") -> str:
    """A Marquez Job of `jb`, inside jobs_built."""
    return f"""json_build_object(
        'id', json_build_object('namespace', {jb}.namespace, 'name', {jb}.name),
        'type', {jb}.type, 'name', {jb}.name, 'simpleName', {jb}.name,
        'parentJobName', NULL, 'parentJobUuid', NULL,
        'createdAt', {ts(jb + ".created_at")}, 'updatedAt', {ts(jb + ".updated_at")},
        'namespace', {jb}.namespace,
        'inputs', CASE WHEN r.id IS NULL THEN coalesce({jb}.declared_inputs, '[]'::jsonb)::json
                       ELSE coalesce(ri.ids, '[]'::json) END,
        'outputs', CASE WHEN r.id IS NULL THEN coalesce({jb}.declared_outputs, '[]'::jsonb)::json
                        ELSE coalesce(ro.ids, '[]'::json) END,
        'location', {jb}.facets->'sourceCodeLocation'->>'url',
        'description', {jb}.facets->'documentation'->>'description',
        'latestRun', lrj.run,
        'latestRuns', CASE WHEN lrj.run IS NULL THEN '[]'::json ELSE json_build_array(lrj.run) END,
        'facets', {jb}.facets,
        'currentVersion', rt.id,
        'labels', '[]'::json, 'tags', '[]'::json)"""
