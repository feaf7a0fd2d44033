"""Session-wide real servers.

- `nats_server`: one nats-server per session (free port, temp store); tests may
  stop()/start() it. `nats_url` gives each test a clean JetStream (streams deleted).
- `database_url`: a fresh, migrated database per test, cloned from a template that is
  migrated once per session.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path

import nats
import pytest
from hypothesis import settings

from lineage_core.db.engine import upgrade_sync
from tests.support.servers import NatsServer, PostgresServer
from tests.support.service import Service, start_service

# Hypothesis prints the blob that replays a failing example, beside the example itself.
settings.register_profile("lineage", print_blob=True)
settings.load_profile("lineage")

_MARKED_FOLDERS = {"integration": "integration", "e2e": "e2e"}
_SEED_PROPERTY = "random seed"


_SERVER_FIXTURES = frozenset(
    {"nats_server", "nats_url", "postgres_server", "database_url", "service"}
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/integration and tests/e2e carries its folder's marker, and
    no test under tests/unit asks for a real server, so `-m "not integration and not
    e2e"` really is the quick, server-free run."""
    unmarked = [
        item.nodeid
        for item in items
        if (marker := _MARKED_FOLDERS.get(item.path.parent.name))
        and item.get_closest_marker(marker) is None
    ]
    if unmarked:
        raise pytest.UsageError(
            "tests without their folder's marker (add `pytestmark = pytest.mark.<folder>`): "
            + ", ".join(unmarked)
        )
    with_servers = [
        item.nodeid
        for item in items
        if item.path.parent.name == "unit"
        and _SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ()))
    ]
    if with_servers:
        raise pytest.UsageError(
            "unit tests that need a real server (move them to tests/integration): "
            + ", ".join(with_servers)
        )


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> random.Random:
    """A seeded random.Random; the seed is shown when the test fails, and
    LINEAGE_TEST_SEED=<seed> replays it."""
    seed = int(os.environ.get("LINEAGE_TEST_SEED") or random.SystemRandom().randrange(2**32))
    request.node.user_properties.append((_SEED_PROPERTY, seed))
    return random.Random(seed)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    if report.failed:
        for name, value in item.user_properties:
            if name == _SEED_PROPERTY:
                report.sections.append(
                    (_SEED_PROPERTY, f"{value} (replay: LINEAGE_TEST_SEED={value})")
                )
    return report


@pytest.fixture(scope="session")
def nats_server() -> Iterator[NatsServer]:
    server = NatsServer()
    server.start()
    yield server
    server.close()


@pytest.fixture
async def nats_url(nats_server: NatsServer) -> str:
    """The session's nats-server, running, with no streams left from other tests."""
    nats_server.start()
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    for name in await js.streams_info():
        await js.delete_stream(str(name.config.name))
    await nc.close()
    return nats_server.url


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
async def reference_url(
    postgres_server: PostgresServer, template_database: str
) -> AsyncIterator[str]:
    """A second fresh, migrated database: what an uninterrupted apply gives."""
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
