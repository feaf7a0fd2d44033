"""Namespaces, sources, tags, datasets and jobs in Marquez's shapes, one statement each.

Lists are pages of JSON texts (built by Postgres, sent as they are) and the count of
every match; orders are Marquez's (namespaces, sources, datasets and jobs by name)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Final

from lineage_read.database import RequestDb
from lineage_read.marquez.shapes import (
    DATASETS,
    LOCAL,
    dataset_json,
    jobs_built,
    jobs_of,
    latest_run,
    run_state,
    ts,
)


@dataclass(frozen=True)
class Page:
    """One page of a list: each item's JSON text, and how many match in all."""

    items: tuple[str, ...]
    total: int


@dataclass(frozen=True)
class DatasetRef:
    """A dataset as a route named it (or by an alias): its dobject and own names."""

    dobject_id: uuid.UUID
    namespace: str
    name: str


# The SDK's namespace exists once it recorded anything.
_NAMESPACES: Final = f"""
WITH ns AS (
    SELECT name, created_at, updated_at FROM public.marquez_namespaces
    UNION ALL
    SELECT '{LOCAL}', min(t.registered_at), max(t.updated_at) FROM projection.transforms t
     WHERE NOT EXISTS (SELECT 1 FROM public.marquez_jobs j WHERE j.transform_name = t.name)
       AND NOT EXISTS (SELECT 1 FROM public.marquez_namespaces x WHERE x.name = '{LOCAL}')
    HAVING count(*) > 0
)
SELECT json_build_object('name', name, 'createdAt', {ts("created_at")},
                         'updatedAt', {ts("updated_at")}, 'ownerName', 'anonymous',
                         'description', NULL, 'isHidden', false)::text AS item,
       count(*) OVER () AS total
  FROM ns WHERE $1::text IS NULL OR name = $1::text
 ORDER BY name LIMIT $2 OFFSET $3
"""
# One namespace of the registry by name (the SDK's is the list's: its statement reads
# the transforms, which a lookup of any other name must not pay for).
_NAMESPACE: Final = f"""
SELECT json_build_object('name', name, 'createdAt', {ts("created_at")},
                         'updatedAt', {ts("updated_at")}, 'ownerName', 'anonymous',
                         'description', NULL, 'isHidden', false)::text AS item,
       1 AS total
  FROM public.marquez_namespaces WHERE name = $1
"""
_SOURCES: Final = f"""
SELECT json_build_object('type', type, 'name', name, 'createdAt', {ts("created_at")},
                         'updatedAt', {ts("updated_at")}, 'connectionUrl', connection_url,
                         'description', NULL)::text AS item,
       count(*) OVER () AS total
  FROM public.marquez_sources WHERE $1::text IS NULL OR name = $1::text
 ORDER BY name LIMIT $2 OFFSET $3
"""
_DATASET_PAGE: Final = f"""
SELECT {dataset_json()}::text AS item FROM {DATASETS} ds
 WHERE ds.namespace = $1 ORDER BY ds.name LIMIT $2 OFFSET $3
"""
_DATASET_COUNT: Final = f"SELECT count(*) FROM {DATASETS} ds WHERE ds.namespace = $1"
# An OpenLineage namespace's own count of its names (the ingest keeps it, migration 0012).
_COUNTED: Final = {
    kind: f"SELECT coalesce(max({kind}_count), 0) FROM public.marquez_namespaces WHERE name = $1"
    for kind in ("dataset", "job")
}
_DATASET: Final = (
    f"SELECT {dataset_json()}::text AS item FROM {DATASETS} ds WHERE ds.dobject_id = $1"
)
# An alias answers with the dataset's own names; the SDK's datasets go by their ids.
_RESOLVE: Final = f"""
SELECT m.dobject_id, m.namespace, m.name FROM public.marquez_datasets m
 WHERE m.namespace = $1 AND m.name = $2
UNION ALL
SELECT m.dobject_id, m.namespace, m.name
  FROM public.marquez_aliases a JOIN public.marquez_datasets m ON m.dobject_id = a.dobject_id
 WHERE a.namespace = $1 AND a.name = $2
UNION ALL
SELECT d.id, '{LOCAL}', d.id::text FROM projection.dobjects d
 WHERE $1 = '{LOCAL}' AND d.id = $3::uuid
   AND NOT EXISTS (SELECT 1 FROM public.marquez_datasets x WHERE x.dobject_id = d.id)
LIMIT 1
"""
# The page is chosen first (by name, in the registry's key order), then built. Three
# scopes: one namespace (the SDK's part left out when planning), the SDK's, every one.
_SCOPES: Final = {
    "one": ("j.namespace = $1::text", "false"),
    "local": ("j.namespace = $1::text", "true"),
    "all": ("$1::text IS NULL", "true"),
}


def _state_filter(param: str, transform_name: str) -> str:
    return f"""({param}::text[] IS NULL OR (SELECT {run_state("s")} FROM projection.runs s
                 WHERE s.id = {latest_run(transform_name)}) = ANY({param}::text[]))"""


def _job_page(scope: str) -> str:
    ol, sdk = _SCOPES[scope]
    jobs = jobs_of(
        f"{ol} AND {_state_filter('$4', 'j.transform_name')}",
        f"{sdk} AND {_state_filter('$4', 't.name')}",
        first="$2::int + $3::int",
    )
    return f"""
WITH page AS (
    SELECT jp.* FROM {jobs} jp ORDER BY jp.namespace, jp.name LIMIT $2 OFFSET $3
), {jobs_built("page")}
SELECT item::text AS item FROM built ORDER BY namespace, name
"""


def _job_count(scope: str, states: bool) -> str:
    ol, sdk = _SCOPES[scope]
    if states:
        ol = f"{ol} AND {_state_filter('$2', 'j.transform_name')}"
        sdk = f"{sdk} AND {_state_filter('$2', 't.name')}"
    return f"""
SELECT (SELECT count(*) FROM public.marquez_jobs j WHERE {ol})
     + (SELECT count(DISTINCT t.name) FROM projection.transforms t
         WHERE ({sdk})
           AND NOT EXISTS (SELECT 1 FROM public.marquez_jobs x WHERE x.transform_name = t.name))
"""


_JOB_PAGE: Final = {scope: _job_page(scope) for scope in _SCOPES}
_JOB_COUNT: Final = {(scope, s): _job_count(scope, s) for scope in _SCOPES for s in (False, True)}
_ONE: Final = jobs_of("j.namespace = $1 AND j.name = $2", f"$1 = '{LOCAL}' AND t.name = $2")
_JOB: Final = (
    f"WITH one AS (SELECT * FROM {_ONE} jb), {jobs_built('one')} SELECT item::text FROM built"
)
_JOB_TRANSFORM: Final = f"SELECT jb.transform_name FROM {_ONE} jb"


async def _page(db: RequestDb, sql: str, *params: object) -> Page:
    rows = await db.rows(sql, *params)
    return Page(tuple(r["item"] for r in rows), int(rows[0]["total"]) if rows else 0)


async def namespaces(db: RequestDb, limit: int, offset: int, name: str | None = None) -> Page:
    if name is not None and name != LOCAL:
        return await _page(db, _NAMESPACE, name)
    return await _page(db, _NAMESPACES, name, limit, offset)


async def sources(db: RequestDb, limit: int, offset: int, name: str | None = None) -> Page:
    return await _page(db, _SOURCES, name, limit, offset)


async def datasets(db: RequestDb, namespace: str, limit: int, offset: int) -> Page:
    rows = await db.rows(_DATASET_PAGE, namespace, limit, offset)
    count = _DATASET_COUNT if namespace == LOCAL else _COUNTED["dataset"]
    total = (await db.rows(count, namespace))[0][0]
    return Page(tuple(r["item"] for r in rows), int(total))


async def resolve_dataset(db: RequestDb, namespace: str, name: str) -> DatasetRef | None:
    """The dataset `namespace`/`name` names, by its own name or an alias."""
    try:
        local = uuid.UUID(name) if namespace == LOCAL else None
    except ValueError:
        local = None
    rows = await db.rows(_RESOLVE, namespace, name, local)
    return DatasetRef(rows[0][0], rows[0][1], rows[0][2]) if rows else None


async def dataset(db: RequestDb, dobject_id: uuid.UUID) -> str | None:
    rows = await db.rows(_DATASET, dobject_id)
    return str(rows[0]["item"]) if rows else None


async def jobs(
    db: RequestDb, namespace: str | None, states: list[str] | None, limit: int, offset: int
) -> Page:
    scope = "all" if namespace is None else "local" if namespace == LOCAL else "one"
    rows = await db.rows(_JOB_PAGE[scope], namespace, limit, offset, states)
    if states is None and scope == "one":
        counted = await db.rows(_COUNTED["job"], namespace)
    elif states is None:
        counted = await db.rows(_JOB_COUNT[scope, False], namespace)
    else:
        counted = await db.rows(_JOB_COUNT[scope, True], namespace, states)
    return Page(tuple(r["item"] for r in rows), int(counted[0][0]))


async def job(db: RequestDb, namespace: str, name: str) -> str | None:
    rows = await db.rows(_JOB, namespace, name)
    return str(rows[0]["item"]) if rows else None


async def job_transform(db: RequestDb, namespace: str, name: str) -> str | None:
    """The transform name job `namespace`/`name` stands for, if the job exists."""
    rows = await db.rows(_JOB_TRANSFORM, namespace, name)
    return str(rows[0][0]) if rows else None
