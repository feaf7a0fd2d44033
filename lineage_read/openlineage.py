"""The raw OpenLineage documents (public.openlineage_events): kept on ingest, read back
for run facets and for the names of Marquez's graph."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from lineage_read.database import Database, Record, RequestDb

_INSERT: Final = (
    "INSERT INTO public.openlineage_events "
    "(run_id, event_type, event_time, job_namespace, job_name, payload, warnings) "
    "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)"
)
_RUN_FACETS: Final = (
    "SELECT run_id, payload->'run'->'facets' AS facets FROM public.openlineage_events "
    "WHERE run_id = ANY($1::uuid[]) ORDER BY event_time, id"
)
_RUN_JOBS: Final = """
SELECT r.id, t.name AS transform, ol.job_namespace, ol.job_name
  FROM projection.runs r
  LEFT JOIN projection.transforms t ON t.id = r.transform_id
  LEFT JOIN LATERAL (SELECT job_namespace, job_name FROM public.openlineage_events e
                      WHERE e.run_id = r.id AND e.job_name IS NOT NULL LIMIT 1) ol ON true
 WHERE r.id = ANY($1::uuid[])
"""
_DATASETS: Final = """
SELECT DISTINCT ds->>'namespace' AS namespace, ds->>'name' AS name
  FROM public.openlineage_events e,
       jsonb_array_elements(coalesce(e.payload->'inputs', '[]'::jsonb)
                            || coalesce(e.payload->'outputs', '[]'::jsonb)) ds
 WHERE e.run_id = ANY($1::uuid[])
"""
_LATEST_JOB_RUN: Final = """
SELECT run_id FROM public.openlineage_events
 WHERE job_namespace = $1 AND job_name = $2 AND run_id IS NOT NULL
 ORDER BY event_time DESC, id DESC LIMIT 1
"""
_LATEST_TRANSFORM_RUN: Final = """
SELECT r.id FROM projection.runs r JOIN projection.transforms t ON t.id = r.transform_id
 WHERE t.name = $1 ORDER BY r.first_seen_at DESC, r.id DESC LIMIT 1
"""
_DOBJECTS: Final = (
    "SELECT id, name, suffix, created_at, fields FROM projection.dobjects "
    "WHERE id = ANY($1::uuid[])"
)


@dataclass(frozen=True)
class RawEvent:
    """One row of public.openlineage_events."""

    run_id: uuid.UUID | None
    event_type: str
    event_time: datetime
    job_namespace: str | None
    job_name: str | None
    payload: Any  # the document as sent
    warnings: list[str]


async def keep_raw(database: Database, events: Sequence[RawEvent]) -> None:
    """Store the documents, all in one transaction."""
    async with database.unlimited() as conn:
        await conn.executemany(
            _INSERT,
            [
                (
                    e.run_id,
                    e.event_type,
                    e.event_time,
                    e.job_namespace,
                    e.job_name,
                    json.dumps(e.payload),
                    json.dumps(e.warnings),
                )
                for e in events
            ],
        )


async def run_facets(
    db: RequestDb, run_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The run facets of each run, merged over its OpenLineage events in event-time order
    (a later event's facet of the same name wins). Runs without any get no key."""
    merged: dict[uuid.UUID, dict[str, Any]] = {}
    for row in await db.rows(_RUN_FACETS, list(run_ids)):
        facets = json.loads(row["facets"]) if row["facets"] is not None else None
        if isinstance(facets, dict):
            merged.setdefault(row["run_id"], {}).update(facets)
    return merged


async def run_jobs(db: RequestDb, run_ids: Sequence[uuid.UUID]) -> Sequence[Record]:
    """Per run: `id`, its `transform` name, and the OpenLineage `job_namespace` and
    `job_name` it was reported under (null for runs of our own SDK)."""
    return await db.rows(_RUN_JOBS, list(run_ids))


async def datasets_of_runs(db: RequestDb, run_ids: Sequence[uuid.UUID]) -> Sequence[Record]:
    """The OpenLineage datasets (`namespace`, `name`) the runs' events named."""
    return await db.rows(_DATASETS, list(run_ids))


async def dobjects(db: RequestDb, ids: Sequence[uuid.UUID]) -> Sequence[Record]:
    """`id`, `name`, `suffix`, `created_at` and `fields` (JSON text: [{name, type,
    description}], or null) of the dobjects that exist among `ids`."""
    return await db.rows(_DOBJECTS, list(ids))


async def latest_job_run(db: RequestDb, namespace: str, name: str) -> uuid.UUID | None:
    """The latest run OpenLineage reported for the job, if any."""
    found = await db.rows(_LATEST_JOB_RUN, namespace, name)
    return found[0]["run_id"] if found else None


async def latest_transform_run(db: RequestDb, name: str) -> uuid.UUID | None:
    """The latest run of a transform named `name`, if any."""
    found = await db.rows(_LATEST_TRANSFORM_RUN, name)
    return found[0]["id"] if found else None
