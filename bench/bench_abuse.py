"""A well-behaved client's latency on a quiet API and on one under hostile load.

    .venv/bin/python bench/bench_abuse.py [--seconds 20] [--rate 40] [--idle-sockets 2000]
                                          [--silent-subscribers 50]

One `lineage api` process (one uvicorn worker, the default limits of docs/security.md)
serves a database holding the seed program's graph; tokens are configured, so auth is on.
A well-behaved client (its own token) asks the seed question (the run that produced
output.bam, and its inputs) at a steady `--rate` per second, first on the quiet service,
then while, at the same time:

- a bomber sends depth bombs, alias bombs and wide documents, each text new (the
  document cache cannot help), four at a time;
- a second client posts documents of about 1 MiB (some just over, some just under) two
  at a time;
- a socket flood holds `--idle-sockets` WebSockets open that never send connection_init
  (reopened as the server closes them), and opens token-bearing ones past the cap;
- `--silent-subscribers` subscribe to lineageEvents and never read, while events are
  published to the stream (once the attack is over they read what reached them, to
  report how their subscriptions ended).

Prints the well-behaved client's p50/p99 in both phases and their ratio (the target: the
hostile p99 within 2x of the quiet p99, in the same run), and what each attacker got.
Every client runs in its own process. By default the attackers are pinned to half of
the cores and the API, its nats-server and the well-behaved client to the other half,
as if the attackers had machines of their own (on 2 cores: one each); what the server
does for them still counts in full. `--no-pin` lets everything share every core, where
the attackers' own CPU use (more than twice the API's here) competes with the server's.
Read the ratio as one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import nats
import websockets
from websockets.typing import Subprotocol

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_api import serve_api
from lineage_core import events as ev
from lineage_core import tokens
from lineage_core.db.engine import create_engine, upgrade
from lineage_core.ids import transform_id
from lineage_core.streams import ensure_streams
from lineage_core.subjects import subject_for
from tests.support.api import seed_graph
from tests.support.servers import NatsServer, PostgresServer

SEED_QUESTION = """query SeedQuestion {
  runs(filter: {output: {name: "output", suffix: ".bam"}}) {
    nodes { id name status transform { name version } inputs { id name suffix hash } } } }"""
SUBSCRIBE = "subscription { lineageEvents { eventId eventType sequence payload } }"
MIB = 1024 * 1024
WS = [Subprotocol("graphql-transport-ws")]


def cores(pin: bool) -> tuple[set[int], set[int]]:
    """(the service's cores, the attackers' cores): halves of the machine when pinning,
    else every core for both."""
    every = sorted(os.sched_getaffinity(0))
    if not pin or len(every) < 2:
        return set(every), set(every)
    half = len(every) // 2
    return set(every[:half]), set(every[half:])


def pin_to(pid: int, where: set[int]) -> None:
    os.sched_setaffinity(pid, where)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# --- the clients (each runs in its own process) -----------------------------------------


def well_behaved(url: str, token: str, seconds: float, rate: float, out: Any) -> None:
    async def run() -> list[float]:
        latencies: list[float] = []
        body = {"query": SEED_QUESTION}
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            await client.post("/graphql", json=body, headers=headers)  # warm the connection
            start = time.perf_counter()
            n = 0
            while time.perf_counter() - start < seconds:
                due = start + n / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                sent = time.perf_counter()
                answer = await client.post("/graphql", json=body, headers=headers)
                latencies.append(time.perf_counter() - sent)
                if answer.status_code != 200 or answer.json().get("errors"):
                    latencies[-1] = float("inf")  # a failed answer counts as the worst
                n += 1
        return latencies

    out.put(asyncio.run(run()))


def _depth_bomb(rng: random.Random) -> str:
    depth = rng.randint(20, 400)
    return (
        "{ "
        f"x{rng.getrandbits(32)}: runs "
        + "{ nodes { inputs " * depth
        + "{ id }"
        + " }" * (2 * depth)
        + " }"
    )


def _alias_bomb(rng: random.Random) -> str:
    tag = rng.getrandbits(32)
    inner = "id"
    for _ in range(rng.randint(3, 14)):
        inner = f"source {{ targets {{ {inner} }} }}"
    fields = " ".join(
        f"a{tag}_{i}: dobjects(first: 1) {{ nodes {{ {inner} }} }}"
        for i in range(rng.randint(51, 400))
    )
    return "{ " + fields + " }"


def _wide(rng: random.Random) -> str:
    tag = rng.getrandbits(32)
    return (
        "{ runs { nodes { "
        + " ".join("id" for _ in range(rng.randint(500, 3000)))
        + f" }} }} # {tag}"
    )


def bomber(url: str, token: str, seconds: float, out: Any) -> None:
    async def one(client: httpx.AsyncClient, rng: random.Random, seen: Counter[int]) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            query = rng.choice((_depth_bomb, _alias_bomb, _wide))(rng)
            try:
                answer = await client.post("/graphql", json={"query": query}, headers=headers)
                seen[answer.status_code] += 1
            except httpx.HTTPError:
                seen[0] += 1

    async def run() -> Counter[int]:
        seen: Counter[int] = Counter()
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            await asyncio.gather(*(one(client, random.Random(i), seen) for i in range(4)))
        return seen

    out.put(("bomber", dict(asyncio.run(run()))))


def big_documents(url: str, token: str, seconds: float, out: Any) -> None:
    async def one(client: httpx.AsyncClient, rng: random.Random, seen: Counter[int]) -> None:
        headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
        deadline = time.monotonic() + seconds
        bodies = []
        for _ in range(8):  # made once: the attacker's own CPU competes with the server's
            size = MIB - rng.randint(-4096, 4096)
            filler = f"a{rng.getrandbits(32)}: runs {{ totalCount }} "
            query = "{ " + filler * (size // len(filler)) + "}"
            bodies.append(json.dumps({"query": query}).encode()[:size])
        while time.monotonic() < deadline:
            body = rng.choice(bodies)
            try:
                answer = await client.post("/graphql", content=body, headers=headers)
                seen[answer.status_code] += 1
            except httpx.HTTPError:
                seen[0] += 1

    async def run() -> Counter[int]:
        seen: Counter[int] = Counter()
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            await asyncio.gather(*(one(client, random.Random(i), seen) for i in range(2)))
        return seen

    out.put(("1 MiB documents", dict(asyncio.run(run()))))


def socket_flood(url: str, token: str, seconds: float, count: int, out: Any) -> None:
    ws_url = url.replace("http://", "ws://") + "/graphql"

    async def idle(seen: Counter[str], deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                async with websockets.connect(ws_url, subprotocols=WS, open_timeout=30) as ws:
                    seen["idle opened"] += 1
                    await asyncio.wait_for(ws.wait_closed(), deadline - time.monotonic())
                    seen[f"idle closed {ws.close_code}"] += 1
            except (TimeoutError, OSError, websockets.WebSocketException):
                seen["idle failed or held to the end"] += 1

    async def authenticated(seen: Counter[str]) -> None:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        for _ in range(150):  # past the per-token cap (100)
            try:
                ws = await websockets.connect(ws_url, subprotocols=WS)
                await ws.send(json.dumps(init))
                reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
                seen[f"token socket {reply['type']}"] += 1
            except websockets.ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else None
                seen[f"token socket closed {code}"] += 1
            except (TimeoutError, OSError, websockets.WebSocketException):
                seen["token socket failed"] += 1

    async def run() -> Counter[str]:
        seen: Counter[str] = Counter()
        deadline = time.monotonic() + seconds
        await asyncio.gather(authenticated(seen), *(idle(seen, deadline) for _ in range(count)))
        return seen

    out.put(("socket flood", dict(asyncio.run(run()))))


def silent_subscribers(url: str, token: str, seconds: float, count: int, out: Any) -> None:
    ws_url = url.replace("http://", "ws://") + "/graphql"

    async def run() -> Counter[str]:
        seen: Counter[str] = Counter()
        sockets = []
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        for i in range(count):
            try:
                # a tiny receive queue: once it is full the client stops reading the socket
                ws = await websockets.connect(ws_url, subprotocols=WS, max_queue=1)
                await ws.send(json.dumps(init))
                await ws.recv()
                sub = {"id": str(i), "type": "subscribe", "payload": {"query": SUBSCRIBE}}
                await ws.send(json.dumps(sub))
                sockets.append(ws)
                seen["subscribed"] += 1
            except (OSError, websockets.WebSocketException) as exc:
                seen[type(exc).__name__] += 1
        await asyncio.sleep(seconds)  # never read
        for ws in sockets:  # the attack is over: what did each get?
            if ws.close_code is not None:
                seen[f"closed by the server {ws.close_code}"] += 1
                continue
            events, ended = await _drain(ws)
            seen["events received"] += events
            seen[f"subscription ended {ended}"] += 1
        return seen

    out.put(("silent subscribers", dict(asyncio.run(run()))))


async def _drain(ws: Any) -> tuple[int, str]:
    """The events a subscription delivered, and how it ended (its error code, or
    'still open' when nothing more came within a second)."""
    events = 0
    try:
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 1))
            errors = message.get("payload", {}).get("errors")
            if errors:
                return events, str(errors[0].get("extensions", {}).get("code"))
            events += message["type"] == "next"
    except (TimeoutError, websockets.WebSocketException):
        return events, "still open"


def publisher(nats_url: str, seconds: float, out: Any) -> None:
    async def run() -> int:
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        await ensure_streams(js)
        sent = 0
        deadline = time.monotonic() + seconds
        transform = {
            "id": str(transform_id("pipeline", "abuse", "1")),
            "type": "pipeline",
            "name": "abuse",
            "version": "1",
        }
        while time.monotonic() < deadline:
            event = ev.RunStarted(
                event_id=uuid.uuid4(),
                occurred_at=datetime.now(UTC),
                producer="bench_abuse",
                run_id=uuid.uuid4(),
                transform=transform,  # type: ignore[arg-type]
            )
            await js.publish(subject_for(event.event_type), ev.encode(event))
            sent += 1
            await asyncio.sleep(0.005)
        await nc.close()
        return sent

    out.put(("publisher", {"events published": asyncio.run(run())}))


# --- the run ---------------------------------------------------------------------------


async def prepare(database_url: str) -> dict[str, str]:
    await upgrade(database_url)
    graph, _ids = seed_graph()
    await graph.write(database_url)
    engine = create_engine(database_url, pool_size=1)
    try:
        return {
            name: await tokens.create_token(engine, name, ["read"])
            for name in ("good", "bomber", "big", "sockets", "subscribers")
        }
    finally:
        await engine.dispose()


def measure(url: str, token: str, seconds: float, rate: float, where: set[int]) -> list[float]:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=well_behaved, args=(url, token, seconds, rate, out))
    proc.start()
    assert proc.pid is not None
    pin_to(proc.pid, where)
    latencies: list[float] = out.get()
    proc.join()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=40, help="well-behaved requests/s")
    parser.add_argument("--idle-sockets", type=int, default=2000)
    parser.add_argument("--silent-subscribers", type=int, default=50)
    parser.add_argument(
        "--attackers",
        default="publisher,subscribers,sockets,bomber,big",
        help="which attackers run in the hostile phase (all by default)",
    )
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="let every process share every core (by default the attackers get their own "
        "half of the cores, as on machines of their own)",
    )
    args = parser.parse_args()
    service_cores, attacker_cores = cores(not args.no_pin)
    chosen = set(args.attackers.split(","))

    nats_server = NatsServer()
    nats_server.start()
    assert nats_server.process is not None
    pin_to(nats_server.process.pid, service_cores)
    postgres = PostgresServer()
    name = asyncio.run(postgres.create_database())
    database_url = postgres.url_for(name)
    server = None
    try:
        keys = asyncio.run(prepare(database_url))
        server, port = serve_api(database_url, nats_server.url, 1, abuse_limits=True)
        url = f"http://127.0.0.1:{port}"
        pin_to(server.pid, service_cores)
        print(f"quiet phase: {args.seconds:g} s at {args.rate:g} req/s ...", flush=True)
        quiet = measure(url, keys["good"], args.seconds, args.rate, service_cores)

        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        hostile_seconds = args.seconds + 15  # the attack starts first and outlasts the measure
        every = {
            "publisher": (publisher, (nats_server.url, hostile_seconds, out)),
            "subscribers": (
                silent_subscribers,
                (url, keys["subscribers"], hostile_seconds, args.silent_subscribers, out),
            ),
            "sockets": (
                socket_flood,
                (url, keys["sockets"], hostile_seconds, args.idle_sockets, out),
            ),
            "bomber": (bomber, (url, keys["bomber"], hostile_seconds, out)),
            "big": (big_documents, (url, keys["big"], hostile_seconds, out)),
        }
        attackers = [
            ctx.Process(target=target, args=targs)  # type: ignore[arg-type]
            for name, (target, targs) in every.items()
            if name in chosen
        ]
        for proc in attackers:
            proc.start()
            assert proc.pid is not None
            pin_to(proc.pid, attacker_cores)
        time.sleep(10)  # sockets opened, subscribers subscribed, bombs flying
        print(f"hostile phase: {args.seconds:g} s at {args.rate:g} req/s ...", flush=True)
        hostile = measure(url, keys["good"], args.seconds, args.rate, service_cores)
        reports = [out.get() for _ in attackers]
        for proc in attackers:
            proc.join()
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        asyncio.run(postgres.drop_database(name))
        postgres.close()
        nats_server.close()

    print(
        f"\ncores: service and well-behaved client {sorted(service_cores)}, "
        f"attackers {sorted(attacker_cores)} (of {os.cpu_count()}, shared with other work)"
    )
    print(f"{'phase':<10} {'requests':>9} {'failed':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for phase, lat in (("quiet", quiet), ("hostile", hostile)):
        failed = sum(1 for v in lat if v == float("inf"))
        print(
            f"{phase:<10} {len(lat):>9} {failed:>7} {percentile(lat, 0.5) * 1000:>8.1f} "
            f"{percentile(lat, 0.99) * 1000:>8.1f}"
        )
    ratio = percentile(hostile, 0.99) / percentile(quiet, 0.99)
    print(f"hostile p99 / quiet p99 = {ratio:.2f}x (target: at most 2x)")
    print("\nwhat the attackers got:")
    for who, seen in sorted(reports, key=lambda r: r[0]):
        print(f"  {who}: {seen}")


if __name__ == "__main__":
    main()
