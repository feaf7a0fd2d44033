"""Exactly once under crashes: `kill -9` of a real projector process, then a restart.

The projector runs as `python -m lineage_cli.main projector`; it is killed at several
moments while events (good and bad) are being published and consumed. The tables it
leaves after the last restart must equal those of an uninterrupted, in-order apply, and
every bad event must be parked exactly once.
"""

from __future__ import annotations

import asyncio
import random
import signal
from pathlib import Path

import pytest

from lineage_core import subjects
from tests.support.projector import (
    PublishGate,
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

RUNS = 500  # 3,000 events
# Events published past a kill point before the kill: the rest waits until after it, so
# a kill at sequence P lands with P applied and the end of the stream not yet published.
LEAD = 200


async def _wait_for_kill_point(
    database_url: str, point: float | int, gate: PublishGate, rng: random.Random
) -> None:
    """A float is seconds after the start (maybe still starting up); an int a sequence to pass."""
    if isinstance(point, float):
        gate.open_to(gate.limit + LEAD)  # events flow while it starts
        # a moment, not a state: the kill is meant to land wherever startup then is
        await asyncio.sleep(point)
        return
    gate.open_to(point + LEAD)  # sequences run ahead of event indexes (bad messages)
    await wait_until(
        lambda: _passed(database_url, point), timeout=300, what=f"applied sequence {point}"
    )
    await asyncio.sleep(rng.random() * 0.02)  # somewhere inside the next batch


async def _passed(database_url: str, sequence: int) -> bool:
    return await applied_sequence(database_url) >= sequence


# A ceiling for a loaded machine (four projector start-ups), not a wait: every wait inside
# is for a state (an applied sequence).
@pytest.mark.timeout(900)
@pytest.mark.parametrize("kill_points", [(0.3, 400, 1300, 2200), (700, 1.2, 1900, 2500)])
async def test_kill_9_at_any_moment_gives_the_uninterrupted_tables(
    kill_points: tuple[float | int, ...],
    nats_url: str,
    database_url: str,
    reference_url: str,
    tmp_path: Path,
    rng: random.Random,
) -> None:
    log = tmp_path / "projector.log"
    nc, js = await connect_js(nats_url)
    events = list(workload(RUNS, seed=len(str(kill_points))))
    gate = PublishGate()
    publishing = asyncio.create_task(publish_paced(js, events, bad_every=250, gate=gate))
    applied_at_kill = []
    for point in kill_points:
        proc = start_projector(nats_url, database_url, log)
        await _wait_for_kill_point(database_url, point, gate, rng)
        proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(proc.wait)
        applied_at_kill.append(await applied_sequence(database_url))
    gate.open_to(len(events))
    sent = await publishing
    proc = start_projector(nats_url, database_url, log)
    try:
        await wait_applied(database_url, sent[-1][0], timeout=300)
    finally:
        proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(proc.wait, 20)
    dlq = await js.stream_info(subjects.DLQ_STREAM)
    await nc.close()
    await apply_in_order(reference_url, sent)

    got, want = await dump(database_url), await dump(reference_url)
    for table in want:
        missing = sorted(set(want[table]) - set(got[table]))[:3]
        extra = sorted(set(got[table]) - set(want[table]))[:3]
        assert not missing, (table, missing)
        assert not extra, (table, extra)
    assert got == want
    assert await applied_sequence(database_url) == sent[-1][0]
    assert dlq.state.messages == sum(1 for _, e in sent if e is None)
    # The kills at a sequence really happened mid-stream: past it, before the end.
    mid_stream = [
        point <= applied < sent[-1][0]
        for point, applied in zip(kill_points, applied_at_kill, strict=True)
        if isinstance(point, int)
    ]
    assert all(mid_stream), (kill_points, applied_at_kill)
