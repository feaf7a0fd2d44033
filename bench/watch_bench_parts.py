"""Parts of bench/bench_watches.py: the API as a process of its own, live subscriptions
over graphql-transport-ws, and the timing of the projector's applied NOTIFYs."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import websockets
from websockets.typing import Subprotocol

from tests.support.servers import free_port

SUBSCRIBE = """subscription($d: ID) {
  lineageChanges(dobjectId: $d, direction: UPSTREAM, depth: 10) { kind sequence } }"""


class Applied:
    """The projector's NOTIFYs of its applied sequence, with their arrival times."""

    def __init__(self) -> None:
        self.sequences: list[int] = []
        self.times: list[float] = []
        self.sequence = 0

    def on_notify(self, *args: Any) -> None:
        self.sequence = max(self.sequence, int(args[-1]))
        self.sequences.append(self.sequence)
        self.times.append(time.perf_counter())

    def time_of(self, sequence: int) -> float | None:
        """When the first NOTIFY at or past `sequence` arrived."""
        i = bisect.bisect_left(self.sequences, sequence)
        return self.times[i] if i < len(self.times) else None

    async def reach(self, sequence: int, timeout: float = 3600) -> float:
        deadline = time.monotonic() + timeout
        while self.sequence < sequence:
            if time.monotonic() > deadline:
                raise TimeoutError(f"applied {self.sequence}, not {sequence}")
            await asyncio.sleep(0.005)
        at = self.time_of(sequence)
        assert at is not None
        return at


def start_api(nats_url: str, database_url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`lineage api` as its own process (its subscriptions cost it, not the bench)."""
    port = free_port()
    env = {
        **os.environ,
        "LINEAGE_DATABASE_URL": database_url,
        "LINEAGE_NATS_URL": nats_url,
        "LINEAGE_PORT": str(port),
        "LINEAGE_HOST": "127.0.0.1",
        "LINEAGE_HOME": str(log.parent),
        "LINEAGE_API_RATE_LIMIT": "0",
        "LINEAGE_API_MAX_WEBSOCKETS": "1000",
        "LINEAGE_API_MAX_SUBSCRIPTIONS": "0",
        "LINEAGE_API_SUBSCRIPTION_EVENTS": "0",
    }
    env.pop("LINEAGE_API_TOKEN", None)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lineage_cli.main", "api"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return proc, f"ws://127.0.0.1:{port}/graphql"
        except (OSError, urllib.error.HTTPError):
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("the API was not ready within 120 s")


class Subscriptions:
    """Live `lineageChanges` subscriptions, each on a root; every change's arrival time."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[int, int, float]] = []  # (subscription, sequence, at)
        self._tasks: list[asyncio.Task[None]] = []
        self._sockets: list[Any] = []
        self.errors: list[str] = []

    async def open(self, url: str, roots: list[str]) -> None:
        for n, root in enumerate(roots):
            ws = await websockets.connect(url, subprotocols=[Subprotocol("graphql-transport-ws")])
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            message = {"query": SUBSCRIBE, "variables": {"d": root}}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": message}))
            self._sockets.append(ws)
            self._tasks.append(asyncio.create_task(self._read(n, ws)))

    async def _read(self, n: int, ws: Any) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in ws:
                message = json.loads(raw)
                if message.get("type") != "next" or "errors" in message["payload"]:
                    self.errors.append(str(message)[:300])
                    continue
                change = message["payload"]["data"]["lineageChanges"]
                self.arrivals.append((n, int(change["sequence"]), time.perf_counter()))

    def in_order(self) -> bool:
        by: dict[int, list[int]] = {}
        for n, seq, _ in self.arrivals:
            by.setdefault(n, []).append(seq)
        return all(s == sorted(s) for s in by.values())

    async def close(self) -> None:
        for ws in self._sockets:
            with contextlib.suppress(Exception):
                await ws.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
