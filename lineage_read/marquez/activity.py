"""Search, statistics and the raw OpenLineage events, in Marquez's shapes.

Search matches `q` anywhere in dataset and job names, ignoring case: the registry's
trigram indexes answer it (where Postgres has pg_trgm, migration 0008). Statistics count
OpenLineage RunEvents by eventTime, and namespaces' jobs, datasets and sources by when
each first appeared, cumulatively, as Marquez's do."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from lineage_read.database import RequestDb
from lineage_read.marquez.catalog import Page
from lineage_read.marquez.shapes import LOCAL, ts

# Each kind's best `limit` first (by the trigram index), then the best of those: the
# page never waits on sorting every match of a common word.
_ORDER: Final = "CASE WHEN $6 THEN h.updated_at END DESC, h.name, h.namespace"
_FILTERS: Final = """($3::text IS NULL OR h.namespace = $3::text)
   AND ($4::timestamptz IS NULL OR h.updated_at < $4::timestamptz)
   AND ($5::timestamptz IS NULL OR h.updated_at >= $5::timestamptz)"""
_SEARCH: Final = f"""
WITH hits AS (
    (SELECT 'DATASET' AS type, h.name, h.updated_at, h.namespace
       FROM public.marquez_datasets h
      WHERE $2::text IS DISTINCT FROM 'JOB' AND h.name ILIKE $1 AND {_FILTERS}
      ORDER BY {_ORDER} LIMIT $7)
    UNION ALL
    (SELECT 'JOB', h.name, h.updated_at, h.namespace FROM public.marquez_jobs h
      WHERE $2::text IS DISTINCT FROM 'DATASET' AND h.name ILIKE $1 AND {_FILTERS}
      ORDER BY {_ORDER} LIMIT $7)
    UNION ALL
    (SELECT 'JOB', h.name, h.updated_at, h.namespace
       FROM (SELECT t.name, max(t.updated_at) AS updated_at, '{LOCAL}' AS namespace
               FROM projection.transforms t
              WHERE $2::text IS DISTINCT FROM 'DATASET' AND t.name ILIKE $1
                AND NOT EXISTS (SELECT 1 FROM public.marquez_jobs x
                                 WHERE x.transform_name = t.name)
              GROUP BY t.name) h
      WHERE {_FILTERS} ORDER BY {_ORDER} LIMIT $7)
)
SELECT json_build_object('type', h.type, 'name', h.name, 'updatedAt', {ts("h.updated_at")},
                         'namespace', h.namespace,
                         'nodeId', lower(h.type) || ':' || h.namespace || ':' || h.name)::text
         AS item
  FROM hits h ORDER BY {_ORDER}, h.type LIMIT $7
"""


def _like(text: str) -> str:
    """`text` anywhere, its own % _ and \\ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search(
    db: RequestDb,
    q: str,
    *,
    kind: str | None,
    namespace: str | None,
    before: datetime | None,
    after: datetime | None,
    by_update: bool,
    limit: int,
) -> Page:
    rows = await db.rows(_SEARCH, _like(q), kind, namespace, before, after, by_update, limit)
    # Marquez's totalCount of a search is the number of results it returns
    return Page(tuple(r["item"] for r in rows), len(rows))


_EVENTS: Final = """
SELECT payload::text AS item, count(*) OVER () AS total FROM public.openlineage_events
 WHERE run_id IS NOT NULL AND event_time < $1 AND event_time >= $2
   AND ($6::text IS NULL OR job_namespace = $6::text)
 ORDER BY CASE WHEN $3 THEN event_time END DESC, CASE WHEN $3 THEN id END DESC,
          event_time, id
 LIMIT $4 OFFSET $5
"""


async def events(
    db: RequestDb,
    *,
    before: datetime,
    after: datetime,
    descending: bool,
    limit: int,
    offset: int,
    namespace: str | None = None,
) -> Page:
    """RunEvents as sent, with eventTime in [after, before), in time order either way."""
    rows = await db.rows(_EVENTS, before, after, descending, limit, offset, namespace)
    return Page(tuple(r["item"] for r in rows), int(rows[0]["total"]) if rows else 0)


# Buckets: the last 24 hours by hour (DAY), or the last 7 days by day in `timezone` (WEEK).
_BUCKETS: Final = """
buckets AS (
    SELECT b AS start_interval, b + $1::interval AS end_interval
      FROM generate_series(
             CASE WHEN $1::interval = '1 hour'
                  THEN date_trunc('hour', now()) - interval '23 hours'
                  ELSE (date_trunc('day', now() AT TIME ZONE $2) - interval '6 days')
                       AT TIME ZONE $2 END,
             CASE WHEN $1::interval = '1 hour' THEN date_trunc('hour', now())
                  ELSE date_trunc('day', now() AT TIME ZONE $2) AT TIME ZONE $2 END,
             $1::interval) AS b
)"""
_LINEAGE_EVENTS: Final = f"""
WITH {_BUCKETS}
SELECT coalesce(json_agg(json_build_object(
         'startInterval', {ts("b.start_interval")}, 'endInterval', {ts("b.end_interval")},
         'fail', c.fail, 'start', c.start, 'complete', c.complete, 'abort', c.abort)
       ORDER BY b.start_interval), '[]'::json)::text
  FROM buckets b CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE e.event_type = 'FAIL') AS fail,
           count(*) FILTER (WHERE e.event_type = 'START') AS start,
           count(*) FILTER (WHERE e.event_type = 'COMPLETE') AS complete,
           count(*) FILTER (WHERE e.event_type = 'ABORT') AS abort
      FROM public.openlineage_events e
     WHERE e.run_id IS NOT NULL
       AND e.event_time >= b.start_interval AND e.event_time < b.end_interval) c
"""
_FIRST_SEEN: Final = {
    "jobs": """SELECT j.created_at AS at FROM public.marquez_jobs j
                UNION ALL SELECT min(t.registered_at) FROM projection.transforms t
                 WHERE NOT EXISTS (SELECT 1 FROM public.marquez_jobs x
                                    WHERE x.transform_name = t.name) GROUP BY t.name""",
    "datasets": """SELECT m.created_at AS at FROM public.marquez_datasets m
                    UNION ALL SELECT d.created_at FROM projection.dobjects d
                     WHERE NOT EXISTS (SELECT 1 FROM public.marquez_datasets x
                                        WHERE x.dobject_id = d.id)""",
    "sources": "SELECT s.created_at AS at FROM public.marquez_sources s",
}


def _counted(kind: str) -> str:
    return f"""
WITH {_BUCKETS}, seen AS ({_FIRST_SEEN[kind]})
SELECT coalesce(json_agg(json_build_object(
         'startInterval', {ts("b.start_interval")}, 'endInterval', {ts("b.end_interval")},
         'count', (SELECT count(*) FROM seen WHERE seen.at < b.end_interval))
       ORDER BY b.start_interval), '[]'::json)::text
  FROM buckets b
"""


_STATS: Final = {"lineage-events": _LINEAGE_EVENTS, **{k: _counted(k) for k in _FIRST_SEEN}}
STAT_KINDS: Final = tuple(_STATS)


async def stats(db: RequestDb, kind: str, weekly: bool, timezone: str) -> str:
    """The JSON list of `kind`'s buckets (kind one of STAT_KINDS)."""
    rows = await db.rows(
        _STATS[kind], timedelta(days=1 if weekly else 0, hours=0 if weekly else 1), timezone
    )
    return str(rows[0][0])
