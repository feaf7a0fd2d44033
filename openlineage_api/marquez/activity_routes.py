"""Marquez's `search`, `stats/*` and `events/lineage` (docs/reference/marquez.md)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from lineage_read.database import RequestDb
from lineage_read.marquez import activity
from openlineage_api.marquez.catalog_routes import listing, raw
from openlineage_api.marquez.params import (
    MAX_LIMIT,
    MarquezError,
    bad,
    choice,
    instant,
    integer,
    paging,
)

SEARCH_LIMIT: Final = 10  # Marquez's default page of search results


def _day(request: Request, name: str) -> datetime | None:
    raw_value = request.query_params.get(name)
    if not raw_value:
        return None
    try:
        return datetime.strptime(raw_value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise bad(f"query param {name} must be YYYY-MM-DD, got {raw_value!r}") from None


async def search(request: Request, db: RequestDb, _: dict[str, str]) -> Response:
    query = request.query_params
    q = (query.get("q") or "").strip()
    if not q:
        raise bad("query param q must not be blank")
    kind = choice(query, "filter", ("DATASET", "JOB"), None)
    sort = choice(query, "sort", ("NAME", "UPDATE_AT"), "NAME")
    limit = min(integer(query, "limit", SEARCH_LIMIT, minimum=1), MAX_LIMIT)
    page = await activity.search(
        db,
        q,
        kind=kind,
        namespace=query.get("namespace") or None,
        before=_day(request, "before"),
        after=_day(request, "after"),
        by_update=sort == "UPDATE_AT",
        limit=limit,
    )
    return raw(f'{{"totalCount":{page.total},"results":[{",".join(page.items)}]}}')


async def lineage_events(request: Request, db: RequestDb, p: dict[str, str]) -> Response:
    query = request.query_params
    limit, offset = paging(query)
    direction = choice(query, "sortDirection", ("ASC", "DESC"), "DESC")
    page = await activity.events(
        db,
        before=instant(query, "before", "2030-01-01T00:00:00+00:00"),
        after=instant(query, "after", "1970-01-01T00:00:00+00:00"),
        descending=direction == "DESC",
        limit=limit,
        offset=offset,
        namespace=p.get("ns"),
    )
    return listing("events", page)


async def stats(request: Request, db: RequestDb, p: dict[str, str]) -> Response:
    if p["kind"] not in activity.STAT_KINDS:
        raise MarquezError(404, f"HTTP 404 Not Found: no route {request.url.path}")
    query = request.query_params
    period = choice(query, "period", ("DAY", "WEEK"), None)
    if period is None:
        raise bad("query param period must be DAY or WEEK")
    timezone = query.get("timezone") or ""
    if period == "WEEK":
        if not timezone:
            raise bad("query param timezone is required with period=WEEK")
        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise bad(f"unknown timezone {timezone!r}") from None
    return raw(await activity.stats(db, p["kind"], period == "WEEK", timezone or "UTC"))
