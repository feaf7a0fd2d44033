"""Session-wide real servers.

- `nats_server`: one nats-server per session (free port, temp store); tests may
  stop()/start() it. `nats_url` gives each test a clean JetStream (streams deleted).
- `database_url`: a fresh, migrated database per test, cloned from a template that is
  migrated once per session.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest

from lineage_core.db.engine import upgrade_sync
from tests.support.servers import NatsServer, PostgresServer
from tests.support.service import Service, start_service


@pytest.fixture(scope="session")
def nats_server() -> Iterator[NatsServer]:
    server = NatsServer()
    server.start()
    yield server
    server.close()


@pytest.fixture
async def nats_url(nats_server: NatsServer) -> AsyncIterator[str]:
    """The session's nats-server, running, with no streams left from other tests."""
    nats_server.start()
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    for name in await js.streams_info():
        await js.delete_stream(name.config.name)
    await nc.close()
    yield nats_server.url


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def template_database(postgres_server: PostgresServer) -> Iterator[str]:
    name = asyncio.run(postgres_server.create_database())
    upgrade_sync(postgres_server.url_for(name))
    yield name
    asyncio.run(postgres_server.drop_database(name))


@pytest.fixture
async def database_url(
    postgres_server: PostgresServer, template_database: str
) -> AsyncIterator[str]:
    """A fresh, migrated database for one test (SQLAlchemy asyncpg URL)."""
    name = await postgres_server.create_database(template=template_database)
    yield postgres_server.url_for(name)
    await postgres_server.drop_database(name)


@pytest.fixture
def service(
    nats_url: str, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Service]:
    """`lineage up` running against this test's nats-server and database.

    The test process is configured like a user's (LINEAGE_* env) so the SDK finds it.
    """
    svc = start_service(nats_url, database_url, tmp_path / "lineage-home")
    for key in ("LINEAGE_NATS_URL", "LINEAGE_DATABASE_URL", "LINEAGE_HOME", "LINEAGE_API_URL"):
        monkeypatch.setenv(key, svc.env[key])
    yield svc
    svc.stop()
