"""The facts of one applied event, read with the detector's connection: for an
OutputRegistered the version it registered, its schema and what it made stale
(lineage_read/watch_versions.py); run events need nothing beyond the events' row."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from lineage_core.changes import EventFacts, Stale
from lineage_read import watch_versions

Pairs = tuple[tuple[str, str], ...]


def _pairs(text: str | None) -> Pairs | None:
    if text is None:
        return None
    return tuple((str(name), str(kind)) for name, kind in json.loads(text))


async def facts_of(conn: asyncpg.Connection, row: Any) -> EventFacts:
    base: dict[str, Any] = {
        "sequence": int(row["sequence"]),
        "event_type": row["event_type"],
        "occurred_at": row["occurred_at"],
        "run_id": row["run_id"],
        "first_of_run": bool(row["first_of_run"]),
        "status": row["status"],
        "dobject_id": row["dobject_id"],
    }
    if row["event_type"] != "OutputRegistered" or row["dobject_id"] is None:
        return EventFacts(**base)
    written = await conn.fetchrow(watch_versions.VERSION_OF_WRITE, row["event_id"], row["sequence"])
    stale = await conn.fetch(watch_versions.BECAME_STALE, row["dobject_id"], row["sequence"])
    if written is not None and written["created"]:
        base.update(
            new_version_id=written["version_id"],
            version_run_id=written["run_id"],
            fields=_pairs(written["fields"]),
            previous_fields=_pairs(written["previous_fields"]),
        )
    return EventFacts(
        **base,
        became_stale=tuple(Stale(s["dobject_id"], s["version_id"], s["run_id"]) for s in stale),
    )
