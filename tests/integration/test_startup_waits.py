"""docs/reference/deployment.md: every part waits for NATS and Postgres at start instead of exiting,
and the API's /readyz says 503 (and what it waits for) meanwhile."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
import nats
import pytest

from lineage_core import events as ev
from lineage_core import subjects
from lineage_core.ids import transform_id
from lineage_core.streams import ensure_streams
from tests.support.parts import start_part, wait_for_part
from tests.support.proxy import TcpProxy
from tests.support.servers import NatsServer

pytestmark = pytest.mark.integration


def _through(proxy: TcpProxy, database_url: str) -> str:
    parts = urlsplit(database_url)
    return parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}").geturl()


def _event() -> ev.Event:
    return ev.TransformRegistered(
        event_type="TransformRegistered",
        event_id=uuid.uuid4(),
        occurred_at=datetime.now(UTC),
        producer="test",
        transform={  # type: ignore[arg-type]
            "id": str(transform_id("pipeline", "late start", "1")),
            "type": "pipeline",
            "name": "late start",
            "version": "1",
        },
    )


async def _raw_events(database_url: str) -> int:
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM public.raw_events"))
    finally:
        await conn.close()


async def _publish(url: str, event: ev.Event) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    await ensure_streams(js)
    await js.publish(
        subjects.subject_for(event.event_type),
        ev.encode(event),
        headers={subjects.MSG_ID_HEADER: str(event.event_id)},
    )
    await nc.close()


def test_parts_started_before_nats_and_postgres_become_ready(
    database_url: str, tmp_path: Path
) -> None:
    parsed = urlsplit(database_url)
    if not parsed.port:
        pytest.skip("needs Postgres over TCP to stand a proxy in front of it")
    postgres = TcpProxy(parsed.hostname or "127.0.0.1", parsed.port)
    nats_server = NatsServer()  # its port is chosen; nothing listens there yet
    late_db = _through(postgres, database_url)
    api = start_part("api", nats_server.url, late_db, tmp_path / "api")
    projector = start_part("projector", nats_server.url, late_db, tmp_path / "projector")
    try:
        # up (healthz) but not ready, and it says what it waits for
        wait_for_part(
            lambda: httpx.get(f"{api.url}/healthz", timeout=2).status_code == 200,
            30,
            "serving /healthz",
            api,
        )
        status, body = api.readyz()
        assert status == 503, body
        assert body["postgres"].startswith("waiting"), body
        graphql = httpx.post(f"{api.url}/graphql", json={"query": "{ __typename }"}, timeout=5)
        assert graphql.status_code == 503

        postgres.start()
        wait_for_part(lambda: api.readyz()[1]["postgres"] == "ok", 30, "seeing Postgres", api)
        status, body = api.readyz()
        assert status == 503, body
        assert body["nats"].startswith("waiting"), body

        for part in (api, projector):  # both reached NATS and wait for it, not exited
            wait_for_part(
                lambda p=part: "waiting for NATS JetStream" in p.output(), 60, "waiting", part
            )
        nats_server.start()
        wait_for_part(lambda: api.readyz()[0] == 200, 30, "ready", api)

        # the projector found both by itself too: an event published now is projected
        asyncio.run(_publish(nats_server.url, _event()))
        wait_for_part(
            lambda: asyncio.run(_raw_events(database_url)) == 1, 30, "projected", projector
        )
        assert "waiting for Postgres" in projector.output()
    finally:
        api.stop()
        projector.stop()
        nats_server.close()
        postgres.stop()
