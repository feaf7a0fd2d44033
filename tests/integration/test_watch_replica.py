"""`lineageChanges` from an API that reads a streaming replica (LINEAGE_DATABASE_READ_URL,
docs/watches.md): while the replica's replay is paused the primary has the changes and
the subscription gets none; once it resumes, every one arrives, once, in order, none
lost (the replica shows the detector's cursor and the changes it covers together)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from lineage_core.db.engine import upgrade
from lineage_core.settings import Settings
from projector.service import run_projector
from tests.support.replication import ReplicatedPostgres, fetch_value
from tests.support.served import served_app, ws_init
from tests.support.waiting import wait_until
from tests.support.watch_story import Story, uid
from tests.support.watch_webhooks import detector_at, tell

pytestmark = pytest.mark.integration

SUBSCRIBE = """subscription($d: ID) { lineageChanges(dobjectId: $d) {
  kind sequence distance run { id status } } }"""
FINISHED_RUNS = 12


@pytest.fixture
async def primary(replicated: ReplicatedPostgres, nats_url: str) -> AsyncIterator[str]:
    await fetch_value(replicated.url(replicated.primary_port), "CREATE DATABASE lineage")
    url = replicated.url(replicated.primary_port, "lineage")
    await upgrade(url)
    task = asyncio.create_task(run_projector(Settings(nats_url=nats_url, database_url=url)))
    yield url
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.timeout(300)
async def test_a_paused_replica_delays_changes_and_loses_none(
    replicated: ReplicatedPostgres, primary: str, nats_url: str
) -> None:
    replica = replicated.url(replicated.replica_port, "lineage")
    s = Story()
    # a -> rN -> b for every run rN below: each finish reaches a watch on b
    await tell(nats_url, primary, s.start("r0") + s.write("r0", "a") + s.write("r0", "b"))
    runs = [f"r{i}" for i in range(1, FINISHED_RUNS + 1)]
    setup: list[Any] = []
    for run in runs:
        setup += s.start(run) + s.load(run, "a") + s.write(run, "b")
    await tell(nats_url, primary, setup)
    async with served_app(primary, nats_url, database_read_url=replica) as (base, app):
        ws = await ws_init(base)
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        message = {"query": SUBSCRIBE, "variables": {"d": str(uid("dobject/b"))}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": message}))
        feed = app.state.startup.resources.changes
        await wait_until(lambda: len(feed._listeners) == 1, what="the subscription listening")

        await fetch_value(replica, "SELECT pg_wal_replay_pause()")
        finished: list[Any] = []
        for i, run in enumerate(runs):
            finished += s.finish(run, "failed" if i % 3 == 0 else "completed")
        last = await tell(nats_url, primary, finished)
        await wait_until(lambda: detector_at(primary, last), what="the primary's detector")
        on_primary = await fetch_value(
            primary, "SELECT count(*) FROM public.lineage_changes WHERE kind LIKE 'RUN_%ED'"
        )
        assert on_primary >= FINISHED_RUNS
        with pytest.raises(TimeoutError):  # bounded: nothing may come from a paused replica
            await asyncio.wait_for(ws.recv(), 1.0)

        await fetch_value(replica, "SELECT pg_wal_replay_resume()")
        got = []
        for _ in runs:
            answer = json.loads(await asyncio.wait_for(ws.recv(), 15))
            assert answer["type"] == "next", answer
            got.append(answer["payload"]["data"]["lineageChanges"])
        with pytest.raises(TimeoutError):  # once each
            await asyncio.wait_for(ws.recv(), 0.5)
        await ws.close()
    assert [c["run"]["id"] for c in got] == [str(uid(f"run/{r}")) for r in runs]
    assert [c["kind"] for c in got] == [
        "RUN_FAILED" if i % 3 == 0 else "RUN_COMPLETED" for i in range(len(runs))
    ]
    assert [int(c["sequence"]) for c in got] == sorted(int(c["sequence"]) for c in got)
    # read from the replica as it stood: the run's status is already the finished one
    assert [c["run"]["status"] for c in got] == [
        "FAILED" if i % 3 == 0 else "COMPLETED" for i in range(len(runs))
    ]
