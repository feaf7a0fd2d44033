"""What `lineage status` reports: how far the projection is behind the stream."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg
from nats.js.errors import NotFoundError

from lineage_core import subjects
from lineage_core.db.metadata import PROJECTION_SCHEMA
from lineage_core.nats_auth import connect_service
from lineage_core.settings import Settings
from projector.dlq import dlq_size
from projector.store import asyncpg_dsn


@dataclass(frozen=True)
class ProjectorStatus:
    stream_sequence: int
    applied_sequence: int
    dlq_size: int
    events_per_second: float  # raw events stored over the last minute, per second
    last_event_at: datetime | None
    raw_events: int

    @property
    def lag(self) -> int:
        return max(self.stream_sequence - self.applied_sequence, 0)


async def projector_status(settings: Settings) -> ProjectorStatus:
    """Read the stream and the tracking row (raises if NATS or Postgres is unreachable)."""
    nc = await connect_service(settings)
    try:
        js = nc.jetstream()
        try:
            stream_sequence = int((await js.stream_info(subjects.STREAM)).state.last_seq)
        except NotFoundError:
            stream_sequence = 0
        parked = await dlq_size(js)
    finally:
        await nc.close()
    conn = await asyncpg.connect(asyncpg_dsn(settings.resolved_database_url()), timeout=5)
    try:
        state = await conn.fetchrow(
            f"SELECT applied_sequence, last_event_at FROM {PROJECTION_SCHEMA}.projection_state "
            "WHERE id = 1"
        )
        recent = await conn.fetchval(
            "SELECT count(*) FROM public.raw_events WHERE received_at > now() - interval '1 minute'"
        )
        raw_events = await conn.fetchval(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = 'public.raw_events'::regclass"
        )
    finally:
        await conn.close()
    return ProjectorStatus(
        stream_sequence=stream_sequence,
        applied_sequence=int(state["applied_sequence"]) if state else 0,
        dlq_size=parked,
        events_per_second=int(recent) / 60.0,
        last_event_at=state["last_event_at"] if state else None,
        raw_events=max(int(raw_events or 0), 0),
    )
