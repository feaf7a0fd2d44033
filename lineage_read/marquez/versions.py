"""A dataset's versions in Marquez's shape (DbTableVersion), newest first.

A dataset's versions are its dobject's (docs/reference/versions.md): `version` is the
version's id, `createdByRun` the run that produced it.
"""

from __future__ import annotations

import uuid
from typing import Final

from lineage_read.database import RequestDb
from lineage_read.marquez.catalog import Page
from lineage_read.marquez.shapes import DATASETS, fields, run_from, run_json, run_parts, ts

_VERSIONS: Final = f"""
WITH vers AS (
    SELECT v.id, v.run_id, v.created_at, v.fields, count(*) OVER () AS total
      FROM projection.dobject_versions v
     WHERE v.dobject_id = $1 AND ($2::uuid IS NULL OR v.id = $2::uuid)
     ORDER BY v.created_at DESC, v.id DESC LIMIT $3 OFFSET $4
), {run_parts("vers")}
SELECT json_build_object(
         'id', json_build_object('namespace', ds.namespace, 'name', ds.name),
         'type', ds.type, 'name', ds.name, 'physicalName', ds.physical_name,
         'createdAt', {ts("v.created_at")}, 'version', v.id,
         'namespace', ds.namespace, 'sourceName', ds.source_name,
         'fields', {fields("coalesce(v.fields, ds.fields)")}, 'tags', '[]'::json,
         'lifecycleState', NULL, 'description', ds.description,
         'currentSchemaVersion', NULL,
         'createdByRun', CASE WHEN r.id IS NULL THEN NULL ELSE {run_json()} END,
         'createdByRunUuid', v.run_id,
         'facets', ds.facets)::text AS item,
       v.total
  FROM vers v CROSS JOIN {DATASETS} ds
  LEFT JOIN projection.runs r ON r.id = v.run_id {run_from(named=True)}
 WHERE ds.dobject_id = $1
 ORDER BY v.created_at DESC, v.id DESC
"""


async def dataset_versions(
    db: RequestDb,
    dobject_id: uuid.UUID,
    *,
    limit: int,
    offset: int,
    version: uuid.UUID | None = None,
) -> Page:
    rows = await db.rows(_VERSIONS, dobject_id, version, limit, offset)
    return Page(tuple(r["item"] for r in rows), int(rows[0]["total"]) if rows else 0)
