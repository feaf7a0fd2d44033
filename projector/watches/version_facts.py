"""Facts of an OutputRegistered: the version it created, its schema, what it made stale.

Until dataset versions are in the projection, a registration is no version change, and
only run events cause changes."""

from __future__ import annotations

from typing import Any

import asyncpg

from lineage_core.changes import EventFacts


async def facts_of(conn: asyncpg.Connection, row: Any) -> EventFacts:  # noqa: ARG001 - the version facts read more with it
    return EventFacts(
        sequence=int(row["sequence"]),
        event_type=row["event_type"],
        occurred_at=row["occurred_at"],
        run_id=row["run_id"],
        first_of_run=bool(row["first_of_run"]),
        status=row["status"],
        dobject_id=row["dobject_id"],
    )
