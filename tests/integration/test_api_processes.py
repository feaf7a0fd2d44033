"""docs/reference/deployment.md: several `lineage api` processes serve one deployment. Read-your-
writes holds on each, and a subscription on any of them receives every event."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from lineage_core.subjects import STREAM
from tests.support.parts import Part, start_part, wait_for_part
from tests.support.projector import connect_js, publish
from tests.support.workload import run_events

pytestmark = pytest.mark.integration

EVENTS = """subscription { lineageEvents { eventId sequence } }"""
RUN = "query($id: ID!) { run(id: $id) { id } }"


async def _subscribe(api: Part) -> Any:
    ws = await websockets.connect(
        api.url.replace("http", "ws") + "/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": EVENTS}}))
    return ws


async def _received(ws: Any, count: int) -> list[str]:
    ids = []  # type: ignore[var-annotated]
    while len(ids) < count:
        message = json.loads(await asyncio.wait_for(ws.recv(), 30))
        assert message["type"] == "next", message
        ids.append(message["payload"]["data"]["lineageEvents"]["eventId"])
    return ids


@pytest.mark.timeout(240)
async def test_two_api_processes_serve_the_same_deployment(
    nats_url: str, database_url: str, tmp_path: Path
) -> None:
    projector = start_part("projector", nats_url, database_url, tmp_path / "projector")
    apis = [start_part("api", nats_url, database_url, tmp_path / f"api{i}") for i in (1, 2)]
    nc, js = await connect_js(nats_url)
    sockets: list[Any] = []
    try:
        for api in apis:
            await asyncio.to_thread(
                wait_for_part, lambda a=api: a.readyz()[0] == 200, 60, "ready", api
            )
            sockets.append(await _subscribe(api))
        # both subscriptions exist once their consumers do (the projector's durable is one)
        deadline = asyncio.get_running_loop().time() + 30
        while len(await js.consumers_info(STREAM)) < len(apis) + 1:
            assert asyncio.get_running_loop().time() < deadline, "subscriptions not live"
            await asyncio.sleep(0.05)

        sent = [e for index in range(5) for e in run_events(index, seed=7)]
        await publish(js, sent)
        wanted = [str(e.event_id) for e in sent]
        for ws in sockets:
            assert await _received(ws, len(wanted)) == wanted

        async with httpx.AsyncClient(timeout=30) as client:
            for index in range(10):
                started = run_events(100 + index, seed=7)[0]
                sequence = await publish(js, [started])
                api = apis[index % 2]  # alternate, as a proxy would
                answer = await client.post(
                    f"{api.url}/graphql",
                    json={"query": RUN, "variables": {"id": str(started.run_id)}},
                    headers={"X-Lineage-Min-Sequence": str(sequence)},
                )
                body = answer.json()
                assert "errors" not in body, body
                assert body["data"]["run"] == {"id": str(started.run_id)}
    finally:
        for ws in sockets:
            await ws.close()
        await nc.close()
        for part in (*apis, projector):
            part.stop()


def _worker_pids(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.timeout(120)
def test_api_workers_share_one_port(nats_url: str, database_url: str, tmp_path: Path) -> None:
    api = start_part("api", nats_url, database_url, tmp_path / "api", "--workers", "2")
    try:
        wait_for_part(lambda: api.readyz()[0] == 200, 60, "ready", api)
        wait_for_part(lambda: len(_worker_pids(api.process.pid)) >= 2, 60, "two workers", api)
        # whichever worker answers is ready once both have started (the second worker
        # answers 503 while it still waits for NATS and Postgres)
        wait_for_part(
            lambda: all(api.readyz()[0] == 200 for _ in range(6)), 60, "every worker ready", api
        )
    finally:
        api.stop()
    assert api.process.returncode == 0, api.output()
