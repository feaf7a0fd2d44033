"""Fixtures the integration tests share: a running projector, a replicated Postgres."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from lineage_core.settings import Settings
from tests.support.projector import projector_running
from tests.support.replication import ReplicatedPostgres, postgres_bin


@pytest.fixture
async def projector(nats_url: str, database_url: str) -> AsyncIterator[asyncio.Task[None]]:
    """The projector with the default settings, as a task, for the test's duration."""
    async with projector_running(Settings(nats_url=nats_url, database_url=database_url)) as task:
        yield task


@pytest.fixture
def replicated() -> Iterator[ReplicatedPostgres]:
    """A Postgres primary with a streaming replica (skips without the server binaries)."""
    binaries = postgres_bin()
    if binaries is None:
        pytest.skip("needs the PostgreSQL server binaries (initdb, pg_basebackup)")
    servers = ReplicatedPostgres(binaries)
    try:
        servers.start()
        yield servers
    finally:
        servers.stop()
