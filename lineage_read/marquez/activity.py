"""Search, statistics and the raw OpenLineage events, in Marquez's shapes.

Search matches `q` anywhere in dataset and job names, ignoring case, through indexes of
the names' three-letter pieces (migration 0011, core Postgres). Statistics count
OpenLineage RunEvents by eventTime, and namespaces' jobs, datasets and sources by when
each first appeared, cumulatively, as Marquez's do."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from lineage_read.database import RequestDb
from lineage_read.marquez.catalog import Page
from lineage_read.marquez.shapes import LOCAL, ts

# Search reads the GIN indexes of the names' three-letter pieces (migration 0011): a name
# holding `q` holds every piece of it, and ILIKE then checks the candidates. A common
# word would make that many candidates to sort, so in name order each registry's first
# names are tried first: when enough of them match, they are the first page.
_HEAD: Final = 300
PIECE: Final = 3  # letters of a piece
_ORDER: Final = "CASE WHEN $6 THEN h.updated_at END DESC, h.name, h.namespace"
_FILTERS: Final = """($3::text IS NULL OR h.namespace = $3::text)
   AND ($4::timestamptz IS NULL OR h.updated_at < $4::timestamptz)
   AND ($5::timestamptz IS NULL OR h.updated_at >= $5::timestamptz)"""


def _pieces(name: str, grams: bool) -> str:
    """The candidates' condition: every piece of `q` ($8) in the name's, or (for a `q`
    of fewer than three letters, which has none) any name."""
    if not grams:
        return "length($8::text) < 3"  # true: this statement is only for such a `q`
    return f"public.lineage_name_grams({name}) @> public.lineage_name_grams($8::text)"


def _registry(kind: str, table: str, skip: str, grams: bool) -> str:
    head, hits = f"{kind}_head", f"{kind}_hits"
    return f"""
{head} AS (
    SELECT h.name, h.updated_at, h.namespace
      FROM (SELECT m.name, m.updated_at, m.namespace FROM public.{table} m
             WHERE NOT $6 AND $2::text IS DISTINCT FROM '{skip}'
             ORDER BY m.name, m.namespace LIMIT {_HEAD}) h
     WHERE h.name ILIKE $1 AND {_FILTERS}
     ORDER BY h.name, h.namespace LIMIT $7
),
{hits} AS (
    SELECT * FROM {head} WHERE (SELECT count(*) FROM {head}) >= $7
    UNION ALL
    (SELECT h.name, h.updated_at, h.namespace FROM public.{table} h
      WHERE (SELECT count(*) FROM {head}) < $7 AND $2::text IS DISTINCT FROM '{skip}'
        AND {_pieces("h.name", grams)} AND h.name ILIKE $1 AND {_FILTERS}
      ORDER BY {_ORDER} LIMIT $7)
)"""


def _search(grams: bool) -> str:
    return f"""
WITH {_registry("ds", "marquez_datasets", "JOB", grams)},
{_registry("jb", "marquez_jobs", "DATASET", grams)},
hits AS (
    SELECT 'DATASET' AS type, * FROM ds_hits
    UNION ALL
    SELECT 'JOB', * FROM jb_hits
    UNION ALL
    (SELECT 'JOB', h.name, h.updated_at, h.namespace
       FROM (SELECT t.name, max(t.updated_at) AS updated_at, '{LOCAL}' AS namespace
               FROM projection.transforms t
              WHERE $2::text IS DISTINCT FROM 'DATASET' AND {_pieces("t.name", grams)}
                AND t.name ILIKE $1
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


_SEARCH: Final = {grams: _search(grams) for grams in (False, True)}


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
    sql = _SEARCH[len(q) >= PIECE]
    rows = await db.rows(sql, _like(q), kind, namespace, before, after, by_update, limit, q)
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
