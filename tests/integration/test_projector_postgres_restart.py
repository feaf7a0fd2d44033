"""A Postgres restart (and a stop of a few seconds) is a fault to wait out, not a bad event.

Runs against its own embedded Postgres (pgserver) so the test can stop and restart it.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

from lineage_core import subjects
from lineage_core.db.engine import upgrade
from lineage_core.settings import Settings
from projector import leader
from projector.service import run_projector
from tests.support.projector import connect_js, dump, publish, wait_applied
from tests.support.waiting import wait_until
from tests.support.workload import workload

pytestmark = pytest.mark.integration


def _retries() -> float:
    return REGISTRY.get_sample_value("lineage_projector_batch_retries_total") or 0


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[Any]:
    tmp = tempfile.mkdtemp(prefix="lineage-pg-restart-")
    with _quiet():
        import pgserver

        server = pgserver.get_server(tmp, cleanup_mode="stop")
    yield server
    with _quiet():
        server.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """pgserver's platformdirs warns about XDG_RUNTIME_DIR; not this test's concern."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _pg_ctl(server: Any, *args: str) -> None:
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    with _quiet():
        pg_ctl(["-w", *args], pgdata=server.pgdata, user=server.system_user, timeout=30)


def _start(server: Any) -> None:
    with _quiet():
        server.ensure_postgres_running()


@pytest.fixture
async def restartable_url(own_postgres: Any) -> str:
    url = f"postgresql+asyncpg://postgres@/postgres?host={own_postgres.pgdata}"
    await upgrade(url)
    return url


# A ceiling for a loaded machine, not a wait: every wait inside is for a state.
@pytest.mark.timeout(600)
async def test_the_batch_waits_for_postgres_and_nothing_is_dead_lettered(
    own_postgres: Any, restartable_url: str, nats_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two parts of the projector notice a dead session: the batch that meets it (and
    # retries, the path this test is about) and the idle watchdog's ping every second
    # (which goes back to standby instead). Which one comes first is a race that a loaded
    # machine decides either way, so the watchdog sleeps through this test: a batch is
    # then what meets every outage, and the retry counter is a state to wait for.
    monkeypatch.setattr(leader, "WATCH_SECONDS", 3600.0)
    retries = _retries()
    task = asyncio.create_task(
        run_projector(Settings(nats_url=nats_url, database_url=restartable_url))
    )
    nc, js = await connect_js(nats_url)
    first = await publish(js, workload(10))
    await wait_applied(restartable_url, first, timeout=120)

    await asyncio.to_thread(_pg_ctl, own_postgres, "-m", "fast", "restart")
    second = await publish(js, workload(10, seed=1))
    await wait_applied(restartable_url, second, timeout=120)

    await asyncio.to_thread(_pg_ctl, own_postgres, "-m", "fast", "stop")
    down = _retries()
    last = await publish(js, workload(10, seed=2))  # arrives while Postgres is down
    await wait_until(
        lambda: _retries() > down, timeout=120, what="a batch failing on the stopped Postgres"
    )
    await asyncio.to_thread(_start, own_postgres)
    await wait_applied(restartable_url, last, timeout=120)

    dlq = await js.stream_info(subjects.DLQ_STREAM)
    await nc.close()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert dlq.state.messages == 0
    snapshot = await dump(restartable_url)
    assert len(snapshot["raw_events"]) == 180
    assert len(snapshot["runs"]) == 30
    assert _retries() > retries
