"""Operator commands: `lineage rebuild`, `lineage status`, `lineage dlq list|replay`."""

from __future__ import annotations

import asyncio
import json
import uuid

import asyncpg
import pytest
from prometheus_client import REGISTRY
from typer.testing import CliRunner

from lineage_cli.main import app
from lineage_core import subjects
from lineage_core.events import InvalidEvent, decode, encode
from lineage_core.settings import Settings
from projector.dlq import parked_messages
from projector.rebuild import rebuild
from projector.service import run_projector
from projector.store import asyncpg_dsn
from tests.support.lineage_v2 import family
from tests.support.projector import (
    applied_sequence,
    connect_js,
    dump,
    publish,
    wait_applied,
)
from tests.support.workload import run_events, workload

pytestmark = pytest.mark.integration


async def projection_indexes(database_url: str) -> list[tuple[str, str]]:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rows = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'projection'"
        )
    finally:
        await conn.close()
    return sorted((r["indexname"], r["indexdef"]) for r in rows)


@pytest.fixture
def cli_env(
    nats_url: str, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> dict[str, str]:
    env = {
        "LINEAGE_NATS_URL": nats_url,
        "LINEAGE_DATABASE_URL": database_url,
        "LINEAGE_HOME": str(tmp_path),
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


async def test_rebuild_gives_identical_tables(
    projector: object, nats_url: str, database_url: str
) -> None:
    nc, js = await connect_js(nats_url)
    v2 = family()
    last = await publish(js, workload(50))
    for event in v2.events:  # one at a time, so each is its own batch: arrival order counts
        await wait_applied(database_url, last)
        last = await publish(js, [event])
    await wait_applied(database_url, last)
    before = await dump(database_url)
    # Parents, fields and column edges as the earliest events say, whatever the arrival.
    runs = {dict(r)["id"]: dict(r) for r in before["runs"]}
    assert runs[str(v2.child)]["parent_run_id"] == str(v2.parent)
    assert runs[str(v2.parent)]["name"] == "parent"
    dobjects = {dict(r)["id"]: dict(r) for r in before["dobjects"]}
    fields = json.loads(dobjects[str(v2.output)]["fields"])
    assert [f["name"] for f in fields] == ["customer_id", "address.city"]
    edges = sorted(
        (dict(e)["target_field"], dict(e)["source_dobject_id"], dict(e)["source_field"])
        for e in before["column_edges"]
    )
    assert edges == sorted(
        [
            ("address.city", str(v2.source), "address.city"),
            ("address.city", str(v2.missing), "city"),
            ("customer_id", str(v2.source), "id"),
        ]
    )
    settings = Settings(nats_url=nats_url, database_url=database_url)
    indexes = await projection_indexes(database_url)
    assert await rebuild(settings) == 300 + len(v2.events)
    assert await dump(database_url) == before
    # the keys and indexes the fill dropped are all back, by name and definition
    assert await projection_indexes(database_url) == indexes
    assert await applied_sequence(database_url) == last
    # The projector goes on against the new projection.
    last = await publish(js, workload(5, seed=9))
    await nc.close()
    await wait_applied(database_url, last)
    assert len((await dump(database_url))["runs"]) == 57  # 50 + 5 + the v2 parent and child


async def test_rebuild_while_events_flow_loses_nothing(
    projector: object, nats_url: str, database_url: str
) -> None:
    retries = REGISTRY.get_sample_value("lineage_projector_batch_retries_total") or 0
    nc, js = await connect_js(nats_url)
    await publish(js, workload(300))
    settings = Settings(nats_url=nats_url, database_url=database_url)
    publishing = asyncio.create_task(publish(js, workload(300, seed=1)))
    await rebuild(settings)
    last = await publishing
    await wait_applied(database_url, last)
    await nc.close()
    after = await dump(database_url)
    assert len(after["raw_events"]) == 3600
    assert len(after["runs"]) == 600
    # Batches waited for the rebuild; none failed on it (no deadlock with the swap).
    assert (REGISTRY.get_sample_value("lineage_projector_batch_retries_total") or 0) == retries
    await rebuild(settings)
    assert await dump(database_url) == after


def test_status_and_dlq_commands(cli_env: dict[str, str], nats_url: str) -> None:
    async def setup() -> None:
        nc, js = await connect_js(nats_url)
        await publish(js, run_events(0))
        await js.publish("lineage.run.started", b"{oops")
        await nc.close()

    asyncio.run(setup())
    runner = CliRunner()
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    assert "stream sequence   7" in result.output
    assert "applied sequence  0" in result.output
    assert "lag               7" in result.output
    assert "DLQ size          0" in result.output
    result = runner.invoke(app, ["dlq", "list"])
    assert result.exit_code == 0
    assert "the DLQ is empty" in result.output
    result = runner.invoke(app, ["rebuild"])
    assert result.exit_code == 0, result.output
    assert "from 0 raw events" in result.output


async def test_dlq_replay_after_an_upgrade(
    nats_url: str, database_url: str, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An older projector parks RunFinished it cannot read; after the fix, replay applies it."""
    from projector import consumer

    def old_decode(raw: bytes) -> object:
        event = decode(raw)
        if event.event_type == "RunFinished":
            raise InvalidEvent("unknown event_type 'RunFinished'")
        return event

    monkeypatch.setattr(consumer, "decode", old_decode)
    events = run_events(0)
    settings = Settings(nats_url=nats_url, database_url=database_url)
    task = asyncio.create_task(run_projector(settings))
    nc, js = await connect_js(nats_url)
    last = await publish(js, events)  # with Nats-Msg-Id = event_id, as producers send
    await wait_applied(database_url, last)
    parked = [p async for p in parked_messages(js)]
    assert [json.loads(p.data)["event_type"] for p in parked] == ["RunFinished"]
    monkeypatch.setattr(consumer, "decode", decode)  # the upgrade

    result = await asyncio.to_thread(CliRunner().invoke, app, ["dlq", "list", "--body"])
    assert "unknown event_type 'RunFinished'" in result.output
    assert "RunFinished" in result.output
    result = await asyncio.to_thread(CliRunner().invoke, app, ["dlq", "replay", "--yes"])
    assert result.exit_code == 0, result.output
    assert "replayed 1 events" in result.output
    # Not de-duplicated away by JetStream (same event_id within its window): it is applied.
    await wait_applied(database_url, last + 1)
    runs = (await dump(database_url))["runs"]
    assert [dict(r)["status"] for r in runs] == ["COMPLETED"]
    assert [p async for p in parked_messages(js)] == []
    result = await asyncio.to_thread(CliRunner().invoke, app, ["dlq", "replay", "--yes"])
    assert "nothing to replay" in result.output
    info = await js.stream_info(subjects.STREAM)
    assert info.state.last_seq == last + 1  # replayed once
    await nc.close()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert uuid.UUID(str(events[-1].event_id))  # the replayed one is the original event
    assert encode(events[-1]) == parked[0].data


async def test_rebuild_dry_run_reports_and_changes_nothing_then_rebuild_shows_progress(
    projector: object, nats_url: str, database_url: str, cli_env: dict[str, str]
) -> None:
    nc, js = await connect_js(nats_url)
    last = await publish(js, workload(20))
    await nc.close()
    await wait_applied(database_url, last)
    before = await dump(database_url)
    runner = CliRunner()
    result = await asyncio.to_thread(runner.invoke, app, ["rebuild", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "120 raw events (40 InputLoaded, 40 OutputRegistered, 20 RunFinished" in result.output
    assert "estimated rebuild time:" in result.output
    assert await dump(database_url) == before
    result = await asyncio.to_thread(runner.invoke, app, ["rebuild"])
    assert result.exit_code == 0, result.output
    for line in ("rebuilt transforms: 10 rows", "rebuilt runs: 20 rows", "rebuilt dobjects: 42"):
        assert line in result.stderr, result.stderr
    assert await dump(database_url) == before
