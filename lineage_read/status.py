"""The projector's tracking row (how far the projection has applied the stream) and the
readiness ping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from lineage_read.database import Database

_STATE: Final = (
    "SELECT applied_sequence, last_event_at FROM projection.projection_state WHERE id = 1"
)


@dataclass(frozen=True)
class Applied:
    sequence: int
    last_event_at: datetime | None


async def applied(database: Database) -> Applied:
    """The applied sequence and the time of the last applied event (0, None before any)."""
    found = await database.fetch(_STATE)
    if not found:
        return Applied(0, None)
    return Applied(int(found[0]["applied_sequence"]), found[0]["last_event_at"])


async def ping(database: Database) -> None:
    """One round trip on a pooled connection (raises when Postgres is not reachable)."""
    await database.fetch("SELECT 1")
