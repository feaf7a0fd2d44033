"""The facts of a chunk of applied events, read with the detector's connection: for
each OutputRegistered the version it registered, its schema and what it made stale, for
each InputLoaded what it made stale (lineage_read/watch_versions.py), in two statements
for the whole chunk; run events need nothing beyond the events' row."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import asyncpg

from lineage_core.changes import EventFacts, Stale
from lineage_read import watch_versions

Pairs = tuple[tuple[str, str], ...]


def _pairs(text: str | None) -> Pairs | None:
    if text is None:
        return None
    return tuple((str(name), str(kind)) for name, kind in json.loads(text))


async def facts_of(conn: asyncpg.Connection, rows: list[Any]) -> list[EventFacts]:
    """The facts of each events row, in order."""
    writes = [r for r in rows if r["event_type"] == "OutputRegistered" and r["dobject_id"]]
    loads = [r for r in rows if r["event_type"] == "InputLoaded" and r["run_id"]]
    versions: dict[Any, Any] = {}
    stale: dict[int, list[Stale]] = defaultdict(list)
    if writes:
        found = await conn.fetch(
            watch_versions.VERSION_OF_WRITE,
            [r["event_id"] for r in writes],
            [int(r["sequence"]) for r in writes],
        )
        versions = {v["event_id"]: v for v in found}
    if writes or loads:
        for s in await conn.fetch(
            watch_versions.BECAME_STALE,
            [r["dobject_id"] for r in writes] + [None] * len(loads),
            [int(r["sequence"]) for r in writes + loads],
            [None] * len(writes) + [r["run_id"] for r in loads],
        ):
            stale[int(s["seq"])].append(Stale(s["dobject_id"], s["version_id"], s["run_id"]))
    return [
        _facts(row, versions.get(row["event_id"]), stale.get(int(row["sequence"]), []))
        for row in rows
    ]


def _facts(row: Any, written: Any, stale: list[Stale]) -> EventFacts:
    new: dict[str, Any] = {}
    if written is not None and written["created"]:
        new = {
            "new_version_id": written["version_id"],
            "version_run_id": written["run_id"],
            "fields": _pairs(written["fields"]),
            "previous_fields": _pairs(written["previous_fields"]),
        }
    return EventFacts(
        sequence=int(row["sequence"]),
        event_type=row["event_type"],
        occurred_at=row["occurred_at"],
        run_id=row["run_id"],
        first_of_run=bool(row["first_of_run"]),
        status=row["status"],
        dobject_id=row["dobject_id"],
        became_stale=tuple(stale),
        **new,
    )
