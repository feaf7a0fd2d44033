"""docs/operations.md, backup and restore: the raw event table is the truth. A `pg_dump`
of it, restored into a fresh database, plus `lineage rebuild` gives the same projection."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.parts import start_part
from tests.support.projector import connect_js, dump, publish, wait_applied
from tests.support.servers import PostgresServer
from tests.support.service import lineage_command
from tests.support.workload import run_events

pytestmark = pytest.mark.integration


def _run(argv: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )


def _libpq(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@pytest.fixture
async def fresh_database(
    postgres_server: PostgresServer, template_database: str
) -> AsyncIterator[str]:
    """A second migrated, empty database: where the backup is restored."""
    name = await postgres_server.create_database(template=template_database)
    yield postgres_server.url_for(name)
    await postgres_server.drop_database(name)


@pytest.mark.timeout(240)
async def test_raw_events_dump_and_rebuild_restore_the_projection(
    nats_url: str, database_url: str, fresh_database: str, tmp_path: Path
) -> None:
    pg_dump, pg_restore = shutil.which("pg_dump"), shutil.which("pg_restore")
    if pg_dump is None or pg_restore is None:
        pytest.skip("needs the PostgreSQL client tools (pg_dump, pg_restore)")
    projector = start_part("projector", nats_url, database_url, tmp_path / "projector")
    nc, js = await connect_js(nats_url)
    try:
        last = await publish(js, [e for i in range(30) for e in run_events(i, seed=3)])
        await wait_applied(database_url, last)
    finally:
        await nc.close()
        projector.stop()

    backup = tmp_path / "raw_events.dump"
    dumped = await asyncio.to_thread(
        _run,
        [
            pg_dump,
            "--format=custom",
            "--data-only",
            "--table=public.raw_events",
            f"--file={backup}",
            _libpq(database_url),
        ],
    )
    assert dumped.returncode == 0, dumped.stderr
    restored_rows = await asyncio.to_thread(
        _run, [pg_restore, "--data-only", f"--dbname={_libpq(fresh_database)}", str(backup)]
    )
    assert restored_rows.returncode == 0, restored_rows.stderr
    rebuilt = await asyncio.to_thread(
        _run, [*lineage_command(), "rebuild"], LINEAGE_DATABASE_URL=fresh_database
    )
    assert rebuilt.returncode == 0, rebuilt.stderr

    original, restored = await dump(database_url), await dump(fresh_database)
    assert len(original["raw_events"]) == 180
    assert len(original["runs"]) == 30
    assert restored == original
