"""docs/reference/deployment.md: with LINEAGE_DATABASE_READ_URL the API reads from a streaming
replica, and read-your-writes waits for the REPLICA's applied_sequence."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from lineage_core.db.engine import upgrade
from tests.support.api import api_client, gql
from tests.support.parts import start_part
from tests.support.projector import connect_js, publish, wait_applied
from tests.support.replication import ReplicatedPostgres, fetch_value
from tests.support.workload import run_events

pytestmark = pytest.mark.integration

RUN = "query($id: ID!) { run(id: $id) { id status } }"


@pytest.mark.timeout(300)
async def test_read_your_writes_waits_for_the_replica(
    replicated: ReplicatedPostgres, nats_url: str, tmp_path: Path
) -> None:
    await fetch_value(replicated.url(replicated.primary_port), "CREATE DATABASE lineage")
    primary = replicated.url(replicated.primary_port, "lineage")
    replica = replicated.url(replicated.replica_port, "lineage")
    await upgrade(primary)
    projector = start_part("projector", nats_url, primary, tmp_path / "projector")
    nc, js = await connect_js(nats_url)
    try:
        async with api_client(primary, nats_url, database_read_url=replica) as (client, _app):
            # 1. replay paused on the replica: the primary has the run, the replica not yet;
            #    the request waits for the replica instead of answering from it stale
            await fetch_value(replica, "SELECT pg_wal_replay_pause()")
            started = run_events(0, seed=1)[0]
            sequence = await publish(js, [started])
            await wait_applied(primary, sequence)
            waiting = asyncio.create_task(
                gql(
                    client,
                    RUN,
                    {"id": str(started.run_id)},
                    {"X-Lineage-Min-Sequence": str(sequence)},
                )
            )
            await asyncio.sleep(0.5)  # bounded: what is checked is that nothing happens
            assert not waiting.done()
            await fetch_value(replica, "SELECT pg_wal_replay_resume()")
            answer = await asyncio.wait_for(waiting, 10)
            assert answer["data"]["run"] == {"id": str(started.run_id), "status": "STARTED"}
            sessions = await fetch_value(
                replica,
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'lineage-api'",
            )
            assert isinstance(sessions, int)
            assert sessions >= 1  # the API's reads are on the replica

            # 2. under write load, every read-your-writes query sees its own run
            async def load() -> None:
                index = 100
                while True:
                    await publish(js, run_events(index, seed=2))
                    index += 1
                    await asyncio.sleep(0.01)

            writer = asyncio.create_task(load())
            try:
                for index in range(1, 21):
                    mine = run_events(index, seed=1)[0]
                    seq = await publish(js, [mine])
                    seen = await gql(
                        client, RUN, {"id": str(mine.run_id)}, {"X-Lineage-Min-Sequence": str(seq)}
                    )
                    assert "errors" not in seen, seen
                    assert seen["data"]["run"]["id"] == str(mine.run_id)
            finally:
                writer.cancel()
                await asyncio.gather(writer, return_exceptions=True)
            assert projector.process.poll() is None
    finally:
        await nc.close()
        projector.stop()
