"""The rebuild's fallback: decode and fold every raw event in Python, chunk by chunk.

Used only when an upcaster of an old schema version has no SQL twin (rebuild_sql.py), so
the set-based statements could not read those payloads as the current version, or when
Postgres lacks uuid-ossp to derive version ids (the embedded server). It is the
live projector's own fold and upserts, at about a tenth of the set-based speed.
"""

from __future__ import annotations

import logging
import time
from typing import Final

import asyncpg

from lineage_core.events import InvalidEvent, decode
from projector.apply import fold
from projector.rebuild_sql import Progress, StepReport
from projector.store import write_rows

log = logging.getLogger("lineage.projector")

CHUNK: Final = 50_000

_READ_CHUNK: Final = """
SELECT sequence, event_id, payload::text AS payload FROM public.raw_events
WHERE (sequence, event_id) > ($1, $2::uuid)
ORDER BY sequence, event_id LIMIT $3
"""


async def fold_projection(conn: asyncpg.Connection, schema: str, progress: Progress) -> int:
    """Fill the (empty) projection tables of `schema` by folding the raw log; events applied."""
    applied = skipped = 0
    last: tuple[int, str] = (-1, "00000000-0000-0000-0000-000000000000")
    while True:
        started = time.perf_counter()
        rows = await conn.fetch(_READ_CHUNK, last[0], last[1], CHUNK)
        if not rows:
            break
        last = (rows[-1]["sequence"], str(rows[-1]["event_id"]))
        events = []
        sequences = []
        for row in rows:
            try:
                events.append(decode(row["payload"].encode()))
                sequences.append(int(row["sequence"]))
            except InvalidEvent as exc:  # accepted once; an older projector knew it
                skipped += 1
                log.warning("raw event %s not decodable now: %s", row["event_id"], exc.reason)
        async with conn.transaction():
            await write_rows(conn, fold(events, sequences), schema)
        applied += len(events)
        progress(
            StepReport(f"events up to sequence {last[0]}", len(rows), time.perf_counter() - started)
        )
    if skipped:
        log.warning("%s raw events could not be decoded and were left out", skipped)
    return applied
