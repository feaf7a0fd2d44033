"""The shared fixtures give real, isolated servers."""

from __future__ import annotations

import asyncpg
import nats
import pytest

from lineage_core import subjects
from lineage_core.streams import ensure_streams
from tests.support.servers import NatsServer

pytestmark = pytest.mark.integration


async def test_database_is_migrated_and_fresh(database_url: str) -> None:
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        assert await conn.fetchval("SELECT applied_sequence FROM projection.projection_state") == 0
        assert await conn.fetchval("SELECT count(*) FROM public.raw_events") == 0
    finally:
        await conn.close()


async def test_stream_survives_nats_restart(nats_url: str, nats_server: NatsServer) -> None:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_streams(js)
    ack = await js.publish("lineage.run.started", b"{}")
    await nc.close()
    nats_server.stop()
    nats_server.start()
    nc = await nats.connect(nats_url)
    info = await nc.jetstream().stream_info(subjects.STREAM)
    await nc.close()
    assert info.state.last_seq == ack.seq
