"""Projection progress (projectionStatus, /metrics) and readiness (/readyz)."""

from __future__ import annotations

import asyncio
from typing import Final

from graphql_api.inputs import BigInt
from graphql_api.resources import Resources
from graphql_api.status_types import ProjectionStatus
from lineage_core.subjects import STREAM
from lineage_read import status

READY_TIMEOUT: Final = 2  # seconds


async def projection_status(resources: Resources) -> ProjectionStatus:
    """Applied sequence (projection_state) against the stream's last sequence."""
    applied = await status.applied(resources.db)
    info = await resources.js.stream_info(STREAM)
    stream = int(info.state.last_seq)
    return ProjectionStatus(
        applied_sequence=BigInt(applied.sequence),
        stream_sequence=BigInt(stream),
        lag=BigInt(max(0, stream - applied.sequence)),
        last_event_at=applied.last_event_at,
    )


async def _flush(resources: Resources) -> None:
    if not resources.nc.is_connected:
        raise ConnectionError("not connected")
    await resources.nc.flush(timeout=READY_TIMEOUT)


async def readiness(resources: Resources) -> dict[str, str]:
    """'ok' or the failure, for NATS and Postgres, each checked within READY_TIMEOUT."""
    checks: dict[str, str] = {}
    try:
        await _flush(resources)
        checks["nats"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready; say which
        checks["nats"] = f"{type(exc).__name__}: {exc}"
    try:
        async with asyncio.timeout(READY_TIMEOUT):
            await status.ping(resources.db)
        checks["postgres"] = "ok"
    except Exception as exc:  # noqa: BLE001 - as above
        checks["postgres"] = f"{type(exc).__name__}: {exc}"
    return checks
