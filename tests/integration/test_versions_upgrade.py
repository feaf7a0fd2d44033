"""The upgrade to dataset versions recovers every write the raw log holds.

A database at revision 0005 holds three nightly writes of one table in its raw log, and
the projection of that time: one source run (the first), later writes dropped. After
`upgrade head` the projection is marked for a rebuild, and the projector rebuilds before
it consumes: three versions, each with its own run, the last one current.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import nats
import pytest
from alembic import command

from lineage_core.db.engine import _alembic_config, upgrade_sync
from lineage_core.events import DObjectRef, OutputRegistered, encode
from lineage_core.ids import dobject_version_id
from lineage_core.settings import Settings
from lineage_core.streams import ensure_streams, publish_in_order
from lineage_core.subjects import subject_for
from projector.service import run_projector
from projector.store import asyncpg_dsn
from tests.support.servers import PostgresServer

pytestmark = pytest.mark.integration

TABLE = uuid.UUID(int=0x7AB1E)
RUNS = [uuid.UUID(int=0x1000 + night) for night in range(3)]
T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
async def old_database(postgres_server: PostgresServer) -> AsyncIterator[str]:
    name = await postgres_server.create_database()
    url = postgres_server.url_for(name)
    await asyncio.to_thread(command.upgrade, _alembic_config(url), "0005")
    yield url
    await postgres_server.drop_database(name)


def _nightly_writes() -> list[OutputRegistered]:
    table = DObjectRef(id=TABLE, name="customers", suffix="")
    return [
        OutputRegistered(
            event_id=uuid.UUID(int=0xE000 + night),
            schema_version=2,
            occurred_at=T0 + timedelta(days=night),
            producer="dbt",
            run_id=run,
            dobject=table,
        )
        for night, run in enumerate(RUNS)
    ]


async def _as_the_old_projector_left_it(conn: asyncpg.Connection) -> None:
    writes = _nightly_writes()
    for sequence, event in enumerate(writes, start=1):
        await conn.execute(
            "INSERT INTO public.raw_events (event_id, sequence, event_type, run_id, occurred_at, "
            "subject, payload) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)",
            event.event_id,
            sequence,
            event.event_type,
            event.run_id,
            event.occurred_at,
            subject_for(event.event_type),
            encode(event).decode(),
        )
    first = writes[0]
    await conn.execute(
        "INSERT INTO projection.dobjects (id, name, suffix, created_at, created_event_id, "
        "source_run_id, source_at, source_event_id) "
        "VALUES ($1, 'customers', '', $2, $3, $4, $2, $3)",
        TABLE,
        first.occurred_at,
        first.event_id,
        first.run_id,
    )
    await conn.execute(
        "INSERT INTO projection.runs (id, first_seen_at) SELECT r, $2 FROM unnest($1::uuid[]) r",
        RUNS,
        T0,
    )
    await conn.execute(
        "UPDATE projection.projection_state SET applied_sequence = $1 WHERE id = 1", len(writes)
    )


async def _wait_for(conn: asyncpg.Connection, query: str, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await conn.fetchval(query):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {timeout}s: {query}")
        await asyncio.sleep(0.05)


async def test_the_upgrade_rebuilds_and_shows_every_write(old_database: str, nats_url: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(old_database))
    try:
        await _as_the_old_projector_left_it(conn)
        await asyncio.to_thread(upgrade_sync, old_database)
        assert await conn.fetchval("SELECT rebuild_required FROM projection.projection_state")
        assert await conn.fetchval("SELECT count(*) FROM projection.dobject_versions") == 0

        # The stream holds what the raw log holds, as it did for the old projector: a stream
        # that ends before the tracking row is a re-created stream, re-read from the start.
        nc = await nats.connect(nats_url)
        try:
            js = nc.jetstream()
            await ensure_streams(js)
            assert await publish_in_order(js, _nightly_writes()) == len(RUNS)
        finally:
            await nc.close()
        task = asyncio.create_task(
            run_projector(Settings(nats_url=nats_url, database_url=old_database))
        )
        try:
            await _wait_for(
                conn, "SELECT NOT rebuild_required FROM projection.projection_state WHERE id = 1"
            )
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        versions = await conn.fetch(
            "SELECT id, run_id, key FROM projection.dobject_versions ORDER BY created_at"
        )
        assert [(v["run_id"], v["key"]) for v in versions] == [(r, f"run:{r}") for r in RUNS]
        assert [v["id"] for v in versions] == [dobject_version_id(TABLE, f"run:{r}") for r in RUNS]
        writes = await conn.fetch(
            "SELECT run_id, sequence FROM projection.dobject_writes ORDER BY sequence"
        )
        assert [(w["run_id"], w["sequence"]) for w in writes] == [
            (r, n + 1) for n, r in enumerate(RUNS)
        ]
        table = await conn.fetchrow(
            "SELECT current_version_id, source_run_id FROM projection.dobjects WHERE id = $1",
            TABLE,
        )
        assert table["source_run_id"] == RUNS[-1]
        assert table["current_version_id"] == versions[-1]["id"]
        # the tracking row was carried over: nothing is applied twice
        assert await conn.fetchval("SELECT applied_sequence FROM projection.projection_state") == 3
        assert (
            json.loads(await conn.fetchval("SELECT payload::text FROM public.raw_events LIMIT 1"))[
                "schema_version"
            ]
            == 2
        )
    finally:
        await conn.close()
