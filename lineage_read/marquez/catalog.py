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
    job_json,
    job_laterals,
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
# The page is chosen first (by name, through the registry's key), then built.
# Outside the SDK's namespace the SDK's branch is left out when planning (`false`), so
# the page is read in the registry's key order.
_IN_NAMESPACE: Final = jobs_of("($1::text IS NULL OR j.namespace = $1::text)", "$1::text IS NULL")
_IN_LOCAL: Final = jobs_of("j.namespace = $1::text", "true")


def _state_filter(param: str) -> str:
    return f"""({param}::text[] IS NULL OR (SELECT {run_state("s")} FROM projection.runs s
                 WHERE s.id = {latest_run("jp")}) = ANY({param}::text[]))"""


def _job_page(relation: str) -> str:
    return f"""
WITH page AS (
    SELECT jp.* FROM {relation} jp WHERE {_state_filter("$4")}
     ORDER BY jp.namespace, jp.name LIMIT $2 OFFSET $3
)
SELECT {job_json()}::text AS item FROM page jb {job_laterals()} ORDER BY jb.namespace, jb.name
"""


_JOB_PAGE: Final = {False: _job_page(_IN_NAMESPACE), True: _job_page(_IN_LOCAL)}
_JOB_COUNT: Final = {
    False: f"SELECT count(*) FROM {_IN_NAMESPACE} jp WHERE {_state_filter('$2')}",
    True: f"SELECT count(*) FROM {_IN_LOCAL} jp WHERE {_state_filter('$2')}",
}
_ONE: Final = jobs_of("j.namespace = $1 AND j.name = $2", f"$1 = '{LOCAL}' AND t.name = $2")
_JOB: Final = f"SELECT {job_json()}::text AS item FROM {_ONE} jb {job_laterals()}"
_JOB_TRANSFORM: Final = f"SELECT jb.transform_name FROM {_ONE} jb"


async def _page(db: RequestDb, sql: str, *params: object) -> Page:
    rows = await db.rows(sql, *params)
    return Page(tuple(r["item"] for r in rows), int(rows[0]["total"]) if rows else 0)


async def namespaces(db: RequestDb, limit: int, offset: int, name: str | None = None) -> Page:
    return await _page(db, _NAMESPACES, name, limit, offset)


async def sources(db: RequestDb, limit: int, offset: int, name: str | None = None) -> Page:
    return await _page(db, _SOURCES, name, limit, offset)


async def datasets(db: RequestDb, namespace: str, limit: int, offset: int) -> Page:
    rows = await db.rows(_DATASET_PAGE, namespace, limit, offset)
    total = (await db.rows(_DATASET_COUNT, namespace))[0][0]
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
    local = namespace == LOCAL
    rows = await db.rows(_JOB_PAGE[local], namespace, limit, offset, states)
    total = (await db.rows(_JOB_COUNT[local], namespace, states))[0][0]
    return Page(tuple(r["item"] for r in rows), int(total))


async def job(db: RequestDb, namespace: str, name: str) -> str | None:
    rows = await db.rows(_JOB, namespace, name)
    return str(rows[0]["item"]) if rows else None


async def job_transform(db: RequestDb, namespace: str, name: str) -> str | None:
    """The transform name job `namespace`/`name` stands for, if the job exists."""
    rows = await db.rows(_JOB_TRANSFORM, namespace, name)
    return str(rows[0][0]) if rows else None
