"""The admin fields of durable watches (docs/reference/watches.md): `watches` and
`watchDeliveries`, for tokens with the `admin` scope only. They read the same
statements as `lineage watch list` (lineage_read/watches.py)."""

from __future__ import annotations

from typing import Final

import strawberry

from graphql_api.access import require_scope
from graphql_api.context import ApiInfo
from graphql_api.errors import bad_input
from graphql_api.watch_types import Watch, WatchDelivery
from lineage_core.tokens import ADMIN
from lineage_read.errors import NotFound
from lineage_read.watches import (
    LATEST_DELIVERIES,
    LIST_WATCHES,
    WATCH_EXISTS,
    delivery_of,
    summary_of,
)

MAX_DELIVERIES: Final = 1000


async def watches(info: ApiInfo) -> list[Watch]:
    require_scope(info, ADMIN)
    rows = await info.context.db.rows(LIST_WATCHES, None)
    return [Watch.from_summary(summary_of(r)) for r in rows]


async def watch_deliveries(
    info: ApiInfo, watch_id: strawberry.ID, failed_only: bool, last: int
) -> list[WatchDelivery]:
    require_scope(info, ADMIN)
    if not 1 <= last <= MAX_DELIVERIES:
        raise bad_input(f"last must be between 1 and {MAX_DELIVERIES}, got {last}")
    try:
        watch = int(watch_id)
    except ValueError:
        raise bad_input(f"watchId must be a watch's id (an integer), got {watch_id!r}") from None
    db = info.context.db
    found = await db.rows(LATEST_DELIVERIES, watch, failed_only, last)
    if not found and not (await db.rows(WATCH_EXISTS, watch))[0][0]:
        raise NotFound(f"no watch with id {watch}")
    return [WatchDelivery.from_delivery(delivery_of(r)) for r in found]
