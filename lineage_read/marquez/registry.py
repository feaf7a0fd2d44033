"""The registry of OpenLineage names the ingest keeps (public.marquez_*): namespaces,
sources, datasets (with their latest schema and facets), symlink aliases and jobs (with
what a JobEvent declared). One batch of rows per accepted request, merged in one
transaction; each row's keys are distinct (the caller merges), and rows go in key order
so that concurrent ingests never deadlock."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from lineage_read.database import Database


@dataclass(frozen=True)
class DatasetRow:
    namespace: str
    name: str
    dobject_id: uuid.UUID
    source_name: str
    type: str
    created_at: datetime
    updated_at: datetime
    modified_at: datetime | None
    fields: list[dict[str, Any]] | None
    fields_at: datetime | None
    facets: dict[str, Any]
    facets_at: datetime | None
    description: str | None


@dataclass(frozen=True)
class JobRow:
    namespace: str
    name: str
    transform_name: str
    type: str
    created_at: datetime
    updated_at: datetime
    facets: dict[str, Any]
    facets_at: datetime | None
    declared_inputs: list[dict[str, str]] | None
    declared_outputs: list[dict[str, str]] | None
    declared_at: datetime | None


@dataclass(frozen=True)
class SourceRow:
    name: str
    type: str
    connection_url: str
    at: datetime


@dataclass(frozen=True)
class Registrations:
    namespaces: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    sources: Sequence[SourceRow] = ()
    datasets: Sequence[DatasetRow] = ()
    aliases: Sequence[tuple[str, str, uuid.UUID]] = ()
    jobs: Sequence[JobRow] = ()


_NAMESPACES: Final = """
INSERT INTO public.marquez_namespaces AS t (name, created_at, updated_at)
SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[])
ON CONFLICT (name) DO UPDATE
   SET created_at = least(t.created_at, excluded.created_at),
       updated_at = greatest(t.updated_at, excluded.updated_at)
"""
_SOURCES: Final = """
INSERT INTO public.marquez_sources AS t (name, type, connection_url, created_at, updated_at)
SELECT n, ty, u, a, a FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
    AS s(n, ty, u, a)
ON CONFLICT (name) DO UPDATE
   SET created_at = least(t.created_at, excluded.created_at),
       type = CASE WHEN excluded.updated_at >= t.updated_at THEN excluded.type ELSE t.type END,
       connection_url = CASE WHEN excluded.updated_at >= t.updated_at
                             THEN excluded.connection_url ELSE t.connection_url END,
       updated_at = greatest(t.updated_at, excluded.updated_at)
"""
# A later event's schema replaces the fields; facets merge key by key, later winning.
# Each new name counts once in its namespace's row, which this transaction has locked
# already (namespaces are merged first): a concurrent ingest of the same new name waits
# for this one and then updates it, so it is not counted twice.
_DATASETS: Final = """
WITH upserted AS (
INSERT INTO public.marquez_datasets AS t
    (namespace, name, dobject_id, source_name, type, created_at, updated_at, modified_at,
     fields, fields_at, facets, facets_at, description)
SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::text[],
                     $6::timestamptz[], $7::timestamptz[], $8::timestamptz[], $9::jsonb[],
                     $10::timestamptz[], $11::jsonb[], $12::timestamptz[], $13::text[])
ON CONFLICT (namespace, name) DO UPDATE
   SET created_at = least(t.created_at, excluded.created_at),
       updated_at = greatest(t.updated_at, excluded.updated_at),
       modified_at = greatest(t.modified_at, excluded.modified_at),
       source_name = CASE WHEN excluded.source_name <> 'default'
                          THEN excluded.source_name ELSE t.source_name END,
       type = CASE WHEN excluded.type <> 'DB_TABLE' THEN excluded.type ELSE t.type END,
       fields = CASE WHEN excluded.fields_at >= coalesce(t.fields_at, '-infinity')
                     THEN excluded.fields ELSE t.fields END,
       fields_at = greatest(t.fields_at, excluded.fields_at),
       facets = CASE WHEN excluded.facets_at >= coalesce(t.facets_at, '-infinity')
                     THEN t.facets || excluded.facets ELSE excluded.facets || t.facets END,
       facets_at = greatest(t.facets_at, excluded.facets_at),
       description = coalesce(excluded.description, t.description)
RETURNING namespace, xmax = 0 AS fresh  -- xmax 0: inserted, not updated
)
UPDATE public.marquez_namespaces n SET dataset_count = n.dataset_count + c.fresh
  FROM (SELECT namespace, count(*) FILTER (WHERE fresh) AS fresh
          FROM upserted GROUP BY namespace) c
 WHERE n.name = c.namespace AND c.fresh > 0
"""
_ALIASES: Final = """
INSERT INTO public.marquez_aliases AS t (namespace, name, dobject_id)
SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[])
ON CONFLICT (namespace, name) DO UPDATE SET dobject_id = excluded.dobject_id
"""
_JOBS: Final = """
WITH upserted AS (
INSERT INTO public.marquez_jobs AS t
    (namespace, name, transform_name, type, created_at, updated_at, facets, facets_at,
     declared_inputs, declared_outputs, declared_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[],
                     $6::timestamptz[], $7::jsonb[], $8::timestamptz[], $9::jsonb[],
                     $10::jsonb[], $11::timestamptz[])
ON CONFLICT (namespace, name) DO UPDATE
   SET created_at = least(t.created_at, excluded.created_at),
       updated_at = greatest(t.updated_at, excluded.updated_at),
       type = CASE WHEN excluded.updated_at >= t.updated_at THEN excluded.type ELSE t.type END,
       facets = CASE WHEN excluded.facets_at >= coalesce(t.facets_at, '-infinity')
                     THEN t.facets || excluded.facets ELSE excluded.facets || t.facets END,
       facets_at = greatest(t.facets_at, excluded.facets_at),
       declared_inputs = CASE WHEN excluded.declared_at >= coalesce(t.declared_at, '-infinity')
                              THEN excluded.declared_inputs ELSE t.declared_inputs END,
       declared_outputs = CASE WHEN excluded.declared_at >= coalesce(t.declared_at, '-infinity')
                               THEN excluded.declared_outputs ELSE t.declared_outputs END,
       declared_at = greatest(t.declared_at, excluded.declared_at)
RETURNING namespace, xmax = 0 AS fresh  -- xmax 0: inserted, not updated
)
UPDATE public.marquez_namespaces n SET job_count = n.job_count + c.fresh
  FROM (SELECT namespace, count(*) FILTER (WHERE fresh) AS fresh
          FROM upserted GROUP BY namespace) c
 WHERE n.name = c.namespace AND c.fresh > 0
"""


def _js(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


async def register(database: Database, found: Registrations) -> None:
    """Merge one request's names into the registry, in one transaction."""
    namespaces = sorted(found.namespaces.items())
    sources = sorted(found.sources, key=lambda s: s.name)
    datasets = sorted(found.datasets, key=lambda d: (d.namespace, d.name))
    aliases = sorted(found.aliases)
    jobs = sorted(found.jobs, key=lambda j: (j.namespace, j.name))
    async with database.unlimited() as conn:
        if namespaces:
            await conn.execute(
                _NAMESPACES,
                [n for n, _ in namespaces],
                [c for _, (c, _) in namespaces],
                [u for _, (_, u) in namespaces],
            )
        if sources:
            await conn.execute(
                _SOURCES,
                [s.name for s in sources],
                [s.type for s in sources],
                [s.connection_url for s in sources],
                [s.at for s in sources],
            )
        if datasets:
            await conn.execute(
                _DATASETS,
                *(
                    list(column)
                    for column in zip(
                        *(
                            (
                                d.namespace,
                                d.name,
                                d.dobject_id,
                                d.source_name,
                                d.type,
                                d.created_at,
                                d.updated_at,
                                d.modified_at,
                                _js(d.fields),
                                d.fields_at,
                                json.dumps(d.facets),
                                d.facets_at,
                                d.description,
                            )
                            for d in datasets
                        ),
                        strict=True,
                    )
                ),
            )
        if aliases:
            await conn.execute(
                _ALIASES, [a[0] for a in aliases], [a[1] for a in aliases], [a[2] for a in aliases]
            )
        if jobs:
            await conn.execute(
                _JOBS,
                *(
                    list(column)
                    for column in zip(
                        *(
                            (
                                j.namespace,
                                j.name,
                                j.transform_name,
                                j.type,
                                j.created_at,
                                j.updated_at,
                                json.dumps(j.facets),
                                j.facets_at,
                                _js(j.declared_inputs),
                                _js(j.declared_outputs),
                                j.declared_at,
                            )
                            for j in jobs
                        ),
                        strict=True,
                    )
                ),
            )
