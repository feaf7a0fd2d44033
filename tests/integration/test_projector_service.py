"""The projector against a real nats-server and Postgres: batches, DLQ, duplicates, faults."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from lineage_core import subjects
from lineage_core.events import RunFinished, encode
from projector.dlq import parked_messages
from projector.store import asyncpg_dsn
from tests.support.projector import (
    connect_js,
    dump,
    publish,
    publish_raw,
    wait_applied,
)
from tests.support.servers import NatsServer
from tests.support.workload import run_events, workload

pytestmark = pytest.mark.integration


async def test_projects_a_workload(projector: object, nats_url: str, database_url: str) -> None:
    nc, js = await connect_js(nats_url)
    last = await publish(js, workload(20))
    await nc.close()
    await wait_applied(database_url, last)
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        counts = {
            t: await conn.fetchval(f"SELECT count(*) FROM projection.{t}")
            for t in ("transforms", "runs", "dobjects", "run_inputs")
        }
        statuses = await conn.fetch("SELECT DISTINCT status FROM projection.runs")
        raw = await conn.fetchval("SELECT count(*) FROM public.raw_events")
        unsourced = await conn.fetchval(
            "SELECT count(*) FROM projection.dobjects WHERE source_run_id IS NULL"
        )
    finally:
        await conn.close()
    assert counts == {"transforms": 10, "runs": 20, "dobjects": 42, "run_inputs": 40}
    assert [r["status"] for r in statuses] == ["COMPLETED"]
    assert raw == 120
    assert unsourced == 2  # the two raw inputs of the first run


async def test_bad_events_go_to_the_dlq_and_the_stream_goes_on(
    projector: object, nats_url: str, database_url: str
) -> None:
    nc, js = await connect_js(nats_url)
    good = run_events(0)
    future = json.loads(encode(good[0]))
    future.update(schema_version=99, event_id=str(uuid.uuid4()))
    invalid = json.loads(encode(good[1]))
    del invalid["run_id"]
    await publish_raw(js, "lineage.run.started", b"{not json")
    await publish_raw(
        js, "lineage.run.started", json.dumps({**future, "event_type": "Nope"}).encode()
    )
    await publish_raw(js, "lineage.run.started", json.dumps(future).encode())
    await publish_raw(js, "lineage.input.loaded", json.dumps(invalid).encode())
    last = await publish(js, good)
    await wait_applied(database_url, last)
    parked = [p async for p in parked_messages(js)]
    await nc.close()
    assert [p.original_sequence for p in parked] == [1, 2, 3, 4]
    reasons = [p.reason for p in parked]
    assert reasons[0].startswith("not JSON")
    assert "unknown event_type" in reasons[1]
    assert "newer than supported" in reasons[2]
    assert "run_id" in reasons[3]
    assert all(p.headers[subjects.ERROR_HEADER] == p.reason for p in parked)
    assert parked[0].data == b"{not json"
    assert parked[0].original_subject == "lineage.run.started"
    snapshot = await dump(database_url)
    assert len(snapshot["raw_events"]) == 6
    assert len(snapshot["runs"]) == 1


async def test_the_same_event_twice_changes_nothing(
    projector: object, nats_url: str, database_url: str
) -> None:
    nc, js = await connect_js(nats_url)
    events = run_events(0)
    first = await publish(js, events)
    await wait_applied(database_url, first)
    before = await dump(database_url)
    # Re-sent without the de-duplication header: JetStream stores them again.
    late = RunFinished(
        event_id=uuid.uuid4(),
        occurred_at=datetime(2030, 1, 1, tzinfo=UTC),
        producer="p",
        run_id=events[0].run_id,
        status="failed",
    )
    last = await publish(js, [*events, *events], msg_id=False)
    last = max(last, await publish(js, [late]))
    await nc.close()
    await wait_applied(database_url, last)
    after = await dump(database_url)
    assert len(after["raw_events"]) == len(before["raw_events"]) + 1
    after["raw_events"] = [r for r in after["raw_events"] if r[0] != str(late.event_id)]
    assert after == before  # a later RunFinished does not change a finished run either


async def test_a_database_fault_is_retried_not_dead_lettered(
    projector: object, nats_url: str, database_url: str
) -> None:
    nc, js = await connect_js(nats_url)
    first = await publish(js, workload(5))
    await wait_applied(database_url, first)
    admin = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        db = await admin.fetchval("SELECT current_database()")
        # Cut every other session of the database (the projector's), twice, while publishing.
        for seed in (1, 2):
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                db,
            )
            last = await publish(js, workload(5, seed=seed))
    finally:
        await admin.close()
    await wait_applied(database_url, last)
    info = await js.stream_info(subjects.DLQ_STREAM)
    await nc.close()
    assert info.state.messages == 0
    assert info.config.duplicate_window == 7 * 24 * 3600  # a late redelivery is parked once
    assert len((await dump(database_url))["raw_events"]) == 90


async def test_a_nats_restart_is_survived(
    projector: object, nats_server: NatsServer, nats_url: str, database_url: str
) -> None:
    nc, js = await connect_js(nats_url)
    first = await publish(js, workload(10))
    await wait_applied(database_url, first)
    await nc.close()
    nats_server.stop()  # returns once the server has exited: the projector's connection is cut
    nats_server.start()
    nc, js = await connect_js(nats_url)
    last = await publish(js, workload(10, seed=5))
    await nc.close()
    await wait_applied(database_url, last, timeout=60)
    assert len((await dump(database_url))["raw_events"]) == 120
