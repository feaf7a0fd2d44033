"""Exactly once under crashes: `kill -9` of a real projector process, then a restart.

The projector runs as `python -m lineage_cli.main projector`; it is killed at several
moments while events (good and bad) are being published and consumed. The tables it
leaves after the last restart must equal those of an uninterrupted, in-order apply, and
every bad event must be parked exactly once.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from lineage_core import subjects
from lineage_core.events import Event, encode
from projector.store import Accepted, apply_batch, asyncpg_dsn
from projector.workload import workload
from tests.integration.projector_support import (
    applied_sequence,
    connect_js,
    dump,
    start_projector,
    wait_applied,
)
from tests.support.servers import PostgresServer

pytestmark = pytest.mark.integration

RUNS = 500  # 3,000 events


@pytest.fixture
async def reference_url(
    postgres_server: PostgresServer, template_database: str
) -> AsyncIterator[str]:
    name = await postgres_server.create_database(template=template_database)
    yield postgres_server.url_for(name)
    await postgres_server.drop_database(name)


async def _publish_all(
    js: object, events: list[Event], bad_every: int
) -> list[tuple[int, Event | None]]:
    """Publish in order, a bad message after every `bad_every` events; (sequence, event)."""
    sent: list[tuple[int, Event | None]] = []
    for i, event in enumerate(events):
        ack = await js.publish(  # type: ignore[attr-defined]
            subjects.subject_for(event.event_type),
            encode(event),
            headers={subjects.MSG_ID_HEADER: str(event.event_id)},
        )
        sent.append((int(ack.seq), event))
        if i % bad_every == bad_every - 1:
            ack = await js.publish("lineage.run.finished", json.dumps({"bad": i}).encode())  # type: ignore[attr-defined]
            sent.append((int(ack.seq), None))
        if i % 100 == 99:
            await asyncio.sleep(0.1)  # a steady stream (about 1,000 events/s), not one burst
    return sent


async def _reference(database_url: str, sent: list[tuple[int, Event | None]]) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        accepted = [
            Accepted(seq, subjects.subject_for(e.event_type), encode(e).decode(), e)
            for seq, e in sent
            if e is not None
        ]
        await apply_batch(conn, accepted, max_sequence=sent[-1][0])
    finally:
        await conn.close()


async def _wait_for_kill_point(database_url: str, point: float | int) -> None:  # noqa: PYI041 - int and float mean different things
    """A float is seconds after the start (maybe still starting up); an int a sequence to pass."""
    if isinstance(point, float):
        await asyncio.sleep(point)
        return
    while await applied_sequence(database_url) < point:
        await asyncio.sleep(0.005)
    await asyncio.sleep(random.random() * 0.02)  # somewhere inside the next batch


@pytest.mark.parametrize("kill_points", [(0.3, 400, 1300, 2200), (700, 1.2, 1900, 2500)])
async def test_kill_9_at_any_moment_gives_the_uninterrupted_tables(
    kill_points: tuple[float | int, ...],
    nats_url: str,
    database_url: str,
    reference_url: str,
    tmp_path: Path,
) -> None:
    log = tmp_path / "projector.log"
    nc, js = await connect_js(nats_url)
    events = list(workload(RUNS, seed=len(str(kill_points))))
    publishing = asyncio.create_task(_publish_all(js, events, bad_every=250))
    applied_at_kill = []
    for point in kill_points:
        proc = start_projector(nats_url, database_url, log)
        await _wait_for_kill_point(database_url, point)
        proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(proc.wait)
        applied_at_kill.append(await applied_sequence(database_url))
    sent = await publishing
    proc = start_projector(nats_url, database_url, log)
    try:
        await wait_applied(database_url, sent[-1][0], timeout=90)
    finally:
        proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(proc.wait, 20)
    dlq = await js.stream_info(subjects.DLQ_STREAM)
    await nc.close()
    await _reference(reference_url, sent)

    got, want = await dump(database_url), await dump(reference_url)
    for table in want:
        missing = sorted(set(want[table]) - set(got[table]))[:3]
        extra = sorted(set(got[table]) - set(want[table]))[:3]
        assert not missing and not extra, (table, missing, extra)
    assert got == want
    assert await applied_sequence(database_url) == sent[-1][0]
    assert dlq.state.messages == sum(1 for _, e in sent if e is None)
    # The kills really happened mid-stream (not all before or after the work).
    assert any(0 < applied < sent[-1][0] for applied in applied_at_kill), applied_at_kill
