"""Projection progress (projectionStatus, /metrics) and readiness (/readyz)."""

from __future__ import annotations

import asyncio
from typing import Final

from sqlalchemy import select, text

from graphql_api.resources import Resources
from graphql_api.types import ProjectionStatus
from lineage_core.db.tables import projection_state
from lineage_core.subjects import STREAM

READY_TIMEOUT: Final = 2.0


async def projection_status(resources: Resources) -> ProjectionStatus:
    """Applied sequence (projection_state) against the stream's last sequence."""
    async with resources.query_engine.connect() as conn:
        row = (
            await conn.execute(
                select(projection_state.c.applied_sequence, projection_state.c.last_event_at).where(
                    projection_state.c.id == 1
                )
            )
        ).first()
    applied, last_event_at = (int(row[0]), row[1]) if row is not None else (0, None)
    info = await resources.js.stream_info(STREAM)
    stream = int(info.state.last_seq)
    return ProjectionStatus(
        applied_sequence=applied,
        stream_sequence=stream,
        lag=max(0, stream - applied),
        last_event_at=last_event_at,
    )


async def readiness(resources: Resources) -> dict[str, str]:
    """'ok' or the failure, for NATS and Postgres, each checked within READY_TIMEOUT."""
    checks: dict[str, str] = {}
    try:
        if not resources.nc.is_connected:
            raise ConnectionError("not connected")
        await resources.nc.flush(timeout=READY_TIMEOUT)
        checks["nats"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready; say which
        checks["nats"] = f"{type(exc).__name__}: {exc}"
    try:
        async with asyncio.timeout(READY_TIMEOUT):
            async with resources.query_engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        checks["postgres"] = "ok"
    except Exception as exc:  # noqa: BLE001 - as above
        checks["postgres"] = f"{type(exc).__name__}: {exc}"
    return checks
