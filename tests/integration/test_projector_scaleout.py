"""Two projector processes on one durable consumer: one active, one standing by.

The active one is found in Postgres (who holds the projector lock) and killed with
`kill -9` twice while events flow; a standby takes over each time at the watermark.
The tables must equal those of an uninterrupted, in-order apply.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

import asyncpg
import pytest

from lineage_core import subjects
from projector.leader import LEADER_LOCK_KEY
from projector.store import asyncpg_dsn
from tests.support.projector import (
    applied_sequence,
    apply_in_order,
    connect_js,
    dump,
    publish_paced,
    start_projector,
    wait_applied,
)
from tests.support.waiting import wait_until
from tests.support.workload import workload

pytestmark = pytest.mark.integration


async def _active_pid(database_url: str) -> int:
    """The OS pid of the process holding the projector lock (waits for one)."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        while True:
            name = await conn.fetchval(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                "WHERE l.locktype = 'advisory' AND l.objid = $1 AND l.granted AND l.database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())",
                LEADER_LOCK_KEY,
            )
            if name:
                return int(name.rsplit("pid=", 1)[1])
            await asyncio.sleep(0.02)
    finally:
        await conn.close()


async def _passed(database_url: str, sequence: int) -> bool:
    return await applied_sequence(database_url) >= sequence


async def test_two_processes_one_active_standby_takes_over(
    nats_url: str, database_url: str, reference_url: str, tmp_path: Path
) -> None:
    procs: dict[int, subprocess.Popen[bytes]] = {}

    def spawn(name: str) -> None:
        p = start_projector(nats_url, database_url, tmp_path / f"{name}.log")
        procs[p.pid] = p

    spawn("a")
    spawn("b")
    nc, js = await connect_js(nats_url)
    publishing = asyncio.create_task(publish_paced(js, list(workload(500, seed=7)), bad_every=400))
    killed = []
    try:
        for threshold, replacement in ((800, "c"), (1800, "d")):
            await wait_until(
                lambda t=threshold: _passed(database_url, t),  # type: ignore[misc]
                timeout=120,
                what="the threshold",
            )
            active = await _active_pid(database_url)
            assert active in procs
            procs[active].send_signal(signal.SIGKILL)
            await asyncio.to_thread(procs[active].wait)
            killed.append(active)
            spawn(replacement)
        sent = await publishing
        await wait_applied(database_url, sent[-1][0], timeout=90)
        last_active = await _active_pid(database_url)
    finally:
        for p in procs.values():
            p.send_signal(signal.SIGKILL)
            p.wait()
    dlq = await js.stream_info(subjects.DLQ_STREAM)
    await nc.close()
    await apply_in_order(reference_url, sent)
    assert await dump(database_url) == await dump(reference_url)
    assert dlq.state.messages == sum(1 for _, e in sent if e is None)
    assert len({*killed, last_active}) == 3  # three different processes were active in turn
