"""The README's install, proven as it is: a virtualenv with `pip install '.[server]'` and
no test packages runs `lineage up`, its SDK runs the seed program (`lineage demo`), and a
graphql-transport-ws subscription to `lineageEvents` receives the seed's events.

The test extra brings its own WebSocket library, so a suite run from the test virtualenv
would pass even when `[server]` brings none (uvicorn then answers the upgrade with 400).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
import websockets
from websockets.typing import Subprotocol

from lineage_cli.embedded import free_port
from lineage_core.subjects import STREAM
from tests.support.server_venv import TEST_ONLY, ServerInstall, install_server
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

SUBSCRIBE = "subscription { lineageEvents { eventType sequence payload } }"


@pytest.fixture
def home() -> Iterator[Path]:
    # Short path: the embedded Postgres' unix socket path must stay under 107 bytes.
    path = Path(tempfile.mkdtemp(prefix="lh-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def server_install() -> Iterator[ServerInstall]:
    where = Path(tempfile.mkdtemp(prefix="lineage-server-install-"))
    try:
        yield install_server(where)
    finally:
        shutil.rmtree(where, ignore_errors=True)


def test_the_server_install_brings_no_test_package(server_install: ServerInstall) -> None:
    probe = "import importlib.util as u, sys; print([m for m in sys.argv[1:] if u.find_spec(m)])"
    done = subprocess.run(
        [str(server_install.python), "-c", probe, *TEST_ONLY],
        env=server_install.env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.strip() == "[]"


def _start(install: ServerInstall, home: Path, port: int) -> subprocess.Popen[bytes]:
    env = install.env(LINEAGE_HOME=str(home), LINEAGE_PORT=str(port))
    with (home / "up.log").open("ab") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [str(install.lineage), "up"], env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT
        )

    def ready() -> bool:
        assert process.poll() is None, (home / "up.log").read_text()
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200

    asyncio.run(wait_until(ready, timeout=120, what="lineage up ready"))
    return process


async def _subscribed(port: int) -> Any:
    ws = await websockets.connect(
        f"ws://127.0.0.1:{port}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
    return ws


async def _live_consumer(nats_url: str) -> None:
    """Until the API's live consumer (the one without a durable name; the projector's has
    one) is on the stream: events published from then on reach the subscription."""
    nc = await nats.connect(nats_url)
    try:

        async def live() -> bool:
            consumers = await nc.jetstream().consumers_info(STREAM)
            return any(c.config.durable_name is None for c in consumers)

        await wait_until(live, timeout=30, what="the API's live consumer on the stream")
    finally:
        await nc.close()


async def _events_until_run_started(ws: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    while not any(e["eventType"] == "RunStarted" for e in seen):
        message = json.loads(await asyncio.wait_for(ws.recv(), 30))
        assert message["type"] == "next", message
        seen.append(message["payload"]["data"]["lineageEvents"])
    return seen


def test_lineage_up_from_the_server_install_streams_events_to_a_subscription(
    server_install: ServerInstall, home: Path
) -> None:
    port = free_port()
    process = _start(server_install, home, port)
    try:
        nats_url = json.loads((home / "endpoints.json").read_text())["nats_url"]

        async def scenario() -> list[dict[str, Any]]:
            ws = await _subscribed(port)
            try:
                await _live_consumer(nats_url)
                # the seed program, through the SDK of the same install
                demo = await asyncio.create_subprocess_exec(
                    str(server_install.lineage),
                    "demo",
                    env=server_install.env(LINEAGE_HOME=str(home)),
                    cwd=home,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.STDOUT,
                )
                out, _ = await asyncio.wait_for(demo.communicate(), 120)
                assert demo.returncode == 0, out.decode()
                return await _events_until_run_started(ws)
            finally:
                await ws.close()

        events = asyncio.run(scenario())
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=60)
    assert code == 0, (home / "up.log").read_text()
    started = next(e for e in events if e["eventType"] == "RunStarted")
    assert started["payload"]["transform"]["name"] in ("10x scRNA-seq nextseq", "Cell Ranger")
    assert all(e["sequence"] >= 1 for e in events)
    assert "No supported WebSocket library" not in (home / "up.log").read_text()
