"""Run facets from the raw OpenLineage documents kept in public.openlineage_events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from lineage_core.db.tables import openlineage_events


async def run_facets(
    conn: AsyncConnection, run_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The run facets of each run, merged over its OpenLineage events in event-time order
    (a later event's facet of the same name wins). Runs without any get no key."""
    stmt = (
        select(openlineage_events.c.run_id, openlineage_events.c.payload["run"]["facets"])
        .where(openlineage_events.c.run_id.in_(list(run_ids)))
        .order_by(openlineage_events.c.event_time, openlineage_events.c.id)
    )
    merged: dict[uuid.UUID, dict[str, Any]] = {}
    for run_id, facets in await conn.execute(stmt):
        if isinstance(facets, dict):
            merged.setdefault(run_id, {}).update(facets)
    return merged
