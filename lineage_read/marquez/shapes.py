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


def jobs_of(ol_where: str = "true", sdk_where: str = "true") -> str:
    """Every job as `jb`: OpenLineage's (the registry, alias `j`, filtered by `ol_where`)
    and the SDK's transforms by name (alias `t`, `sdk_where`, applied before grouping)."""
    return f"""(
    SELECT j.namespace, j.name, j.transform_name, j.type, j.created_at, j.updated_at,
           j.facets, j.declared_inputs, j.declared_outputs
      FROM public.marquez_jobs j WHERE {ol_where}
    UNION ALL
    SELECT '{LOCAL}', t.name, t.name, 'BATCH', min(t.registered_at), max(t.updated_at),
           '{{}}'::jsonb, NULL::jsonb, NULL::jsonb
      FROM projection.transforms t
     WHERE ({sdk_where})
       AND NOT EXISTS (SELECT 1 FROM public.marquez_jobs x WHERE x.transform_name = t.name)
     GROUP BY t.name
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


def run_json(r: str = "r") -> str:
    """A Marquez Run of projection.runs row `r`; needs `rt` (its transform, LEFT JOIN
    projection.transforms) and `rj` (its OpenLineage job, LEFT JOIN public.marquez_jobs)."""
    facets = run_facets(r)
    return f"""(SELECT json_build_object(
        'id', {r}.id, 'createdAt', {ts(r + ".first_seen_at")},
        'updatedAt', {ts(f"greatest({r}.first_seen_at, {r}.started_at, {r}.finished_at)")},
        'nominalStartTime', rf.facets->'nominalTime'->'nominalStartTime',
        'nominalEndTime', rf.facets->'nominalTime'->'nominalEndTime',
        'state', {run_state(r)},
        'startedAt', {ts(r + ".started_at")}, 'endedAt', {ts(r + ".finished_at")},
        'durationMs', (extract(epoch FROM {r}.finished_at - {r}.started_at) * 1000)::bigint,
        'args', '{{}}'::json,
        'jobVersion', CASE WHEN rt.id IS NULL THEN NULL ELSE json_build_object(
            'namespace', coalesce(rj.namespace, '{LOCAL}'), 'name', coalesce(rj.name, rt.name),
            'version', rt.id) END,
        {version_ids(r)},
        'context', '{{}}'::json, 'facets', rf.facets)
      FROM (SELECT {facets} AS facets OFFSET 0) rf)"""  # OFFSET 0: computed once


RUN_JOINS: Final = """
  LEFT JOIN projection.transforms rt ON rt.id = r.transform_id
  LEFT JOIN public.marquez_jobs rj ON rj.transform_name = rt.name"""


def run_outputs(run: str) -> str:
    """The dobjects (`id`) run `run` wrote: those of which it produced a version
    (docs/reference/versions.md)."""
    return f"""(SELECT DISTINCT v.dobject_id AS id FROM projection.dobject_versions v
                 WHERE v.run_id = {run})"""


def run_inputs(run: str) -> str:
    """The run's inputs (`i`, rows of projection.run_inputs) that are edges: not the
    dobjects it produced a version of."""
    return f"""projection.run_inputs i WHERE i.run_id = {run}
       AND NOT EXISTS (SELECT 1 FROM projection.dobject_versions own
                        WHERE own.dobject_id = i.dobject_id AND own.run_id = i.run_id)"""


def bound_version(i: str) -> str:
    """The version input `i` read: the one of its hash, else of its label, else the
    latest created at or before it was loaded; null for none."""
    return f"""(SELECT bv.id FROM projection.dobject_versions bv
                 WHERE bv.dobject_id = {i}.dobject_id
                   AND (bv.hash = {i}.hash OR bv.label = {i}.label
                        OR bv.created_at <= {i}.loaded_at)
                 ORDER BY bv.hash IS NOT DISTINCT FROM {i}.hash AND {i}.hash IS NOT NULL DESC,
                          bv.label IS NOT DISTINCT FROM {i}.label AND {i}.label IS NOT NULL DESC,
                          bv.created_at DESC, bv.id DESC
                 LIMIT 1)"""


def version_ids(r: str) -> str:
    """`inputDatasetVersions` and `outputDatasetVersions` of run `r`, as Marquez lists
    them; an input without a version is left out."""

    def entry(dobject: str, version: str) -> str:
        return f"""json_build_object('datasetVersionId', json_build_object(
                     'namespace', coalesce(n.namespace, '{LOCAL}'),
                     'name', coalesce(n.name, ({dobject})::text), 'version', {version}),
                   'facets', '{{}}'::json)"""

    inputs = entry("b.dobject_id", "b.version")
    return f"""'inputDatasetVersions', (SELECT coalesce(json_agg({inputs}
                   ORDER BY b.dobject_id), '[]'::json)
          FROM (SELECT i.dobject_id, {bound_version("i")} AS version
                  FROM {run_inputs(r + ".id")}) b
          LEFT JOIN public.marquez_datasets n ON n.dobject_id = b.dobject_id
         WHERE b.version IS NOT NULL),
        'outputDatasetVersions', (SELECT coalesce(json_agg({entry("v.dobject_id", "v.id")}
                   ORDER BY v.dobject_id, v.created_at, v.id), '[]'::json)
          FROM projection.dobject_versions v
          LEFT JOIN public.marquez_datasets n ON n.dobject_id = v.dobject_id
         WHERE v.run_id = {r}.id)"""


def latest_run(jb: str) -> str:
    """The id of the latest run of job `jb` (by first seen, then id)."""
    return f"""(SELECT lr.id FROM projection.transforms lt
                 JOIN projection.runs lr ON lr.transform_id = lt.id
                WHERE lt.name = {jb}.transform_name
                ORDER BY lr.first_seen_at DESC, lr.id DESC LIMIT 1)"""


def job_laterals(jb: str = "jb") -> str:
    """The FROM items job_json needs after `jb`: its latest run's id and JSON."""
    return f"""CROSS JOIN LATERAL (SELECT {latest_run(jb)} AS id OFFSET 0) lr
  CROSS JOIN LATERAL (SELECT (SELECT {run_json("r")} FROM projection.runs r {RUN_JOINS}
                               WHERE r.id = lr.id) AS run OFFSET 0) lrj"""


def job_json(jb: str = "jb") -> str:
    """A Marquez Job of `jb` (a row of jobs()); needs job_laterals(jb) in the FROM."""
    return f"""json_build_object(
        'id', json_build_object('namespace', {jb}.namespace, 'name', {jb}.name),
        'type', {jb}.type, 'name', {jb}.name, 'simpleName', {jb}.name,
        'parentJobName', NULL, 'parentJobUuid', NULL,
        'createdAt', {ts(jb + ".created_at")}, 'updatedAt', {ts(jb + ".updated_at")},
        'namespace', {jb}.namespace,
        'inputs', CASE WHEN lr.id IS NULL THEN coalesce({jb}.declared_inputs, '[]'::jsonb)::json
            ELSE (SELECT coalesce(json_agg({dataset_id("i.dobject_id")} ORDER BY i.dobject_id),
                                  '[]'::json)
                    FROM {run_inputs("lr.id")})
            END,
        'outputs', CASE WHEN lr.id IS NULL THEN coalesce({jb}.declared_outputs, '[]'::jsonb)::json
            ELSE (SELECT coalesce(json_agg({dataset_id("o.id")} ORDER BY o.id), '[]'::json)
                    FROM {run_outputs("lr.id")} o) END,
        'location', {jb}.facets->'sourceCodeLocation'->>'url',
        'description', {jb}.facets->'documentation'->>'description',
        'latestRun', lrj.run,
        'latestRuns', CASE WHEN lrj.run IS NULL THEN '[]'::json ELSE json_build_array(lrj.run) END,
        'facets', {jb}.facets,
        'currentVersion', lrj.run->'jobVersion'->'version',
        'labels', '[]'::json, 'tags', '[]'::json)"""
