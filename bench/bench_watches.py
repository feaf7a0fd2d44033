"""Durable watches under load: membership cost, webhook latency beside queryable latency,
the projector's rate with and without watches, a receiver that is down for a while, live
subscriptions open all along.

    .venv/bin/python bench/bench_watches.py [--base-runs 166667] [--watches 1000]
        [--subscriptions 100] [--burst 5000] [--rate 1000] [--seconds 60]
        [--down-seconds 30] [--fan-in 10000]

Starts its own nats-server, a database, `lineage projector` (a process of its own, its
metrics on a free port) and `lineage api` (for the subscriptions), then:
1. the base set: `--base-runs` chained runs (6 events each; 166,667 make the 1M-event set);
2. reference: a burst of `--burst` events, each a new version of a dobject of the base
   set drawn at random, with no watch: the projector's end-to-end rate;
3. `--watches` durable watches (UPSTREAM, depth 10, each on a dobject drawn at random),
   all POSTing to one receiver in this process, and `--subscriptions` live
   `lineageChanges` subscriptions (UPSTREAM, depth 10, on dobjects drawn at random), and
   the same burst again: the rate with them, and the detector's cost per event;
4. steady: `--rate` events/s for `--seconds` s, the receiver refusing connections for the
   first `--down-seconds`; event to queryable (the projector's NOTIFY), event to webhook
   (first arrival) and event to subscription for the events published after the
   receiver came back; then every delivery must have arrived, in sequence order per
   watch;
5. fan-in: one watch on a root whose run loaded `--fan-in` dobjects, and a burst that
   writes a new version of each: the membership cost per event beside step 3's.
The statistics are refreshed (ANALYZE) while the base set loads and after the fan-in is
built, since the test server runs without autovacuum.
Prints a table. Timings on a shared machine are noisy: read the ratios. Nothing here
blocks the event loop the receiver answers on (metrics are scraped in a thread).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.watch_bench_parts import Applied, Subscriptions, start_api
from lineage_core import subjects
from lineage_core.db.engine import upgrade
from lineage_core.db.tables import APPLIED_CHANNEL
from lineage_core.events import DObjectRef, Event, InputLoaded, OutputRegistered, encode
from lineage_read.watches import create_watch
from projector.store import asyncpg_dsn
from tests.support.metrics import scrape, value
from tests.support.projector import connect_js, publish, start_projector
from tests.support.servers import NatsServer, PostgresServer, free_port
from tests.support.webhook import Receiver
from tests.support.workload import PRODUCER, run_events

T0 = time.time()


def base_dobject(run: int, k: int) -> DObjectRef:
    oid = uuid.uuid5(uuid.NAMESPACE_URL, f"dobject/1/{run}/{k}")
    return DObjectRef(id=oid, name=f"out_{run}_{k}", suffix=".bam")


def new_version(d: DObjectRef, rng: random.Random) -> OutputRegistered:
    """A write of new bytes of `d` by a run of its own: one new version."""
    from datetime import UTC, datetime

    return OutputRegistered(
        event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
        occurred_at=datetime.now(UTC),
        producer=PRODUCER,
        run_id=uuid.UUID(int=rng.getrandbits(128), version=4),
        dobject=d.model_copy(update={"hash": uuid.UUID(int=rng.getrandbits(128)).hex}),
    )


async def detector_costs(metrics_url: str) -> tuple[float, float]:
    samples = await asyncio.to_thread(scrape, metrics_url)
    return (
        value(samples, "lineage_watch_detect_seconds_sum") or 0.0,
        value(samples, "lineage_watch_match_seconds_sum") or 0.0,
    )


async def wait_detected(conn: asyncpg.Connection, sequence: int) -> None:
    detected = "SELECT sequence >= $1 FROM watch_detector WHERE id = 1"
    await until(lambda: conn.fetchval(detected, sequence))


async def until(probe: Any) -> None:
    """Poll `probe` (a function or coroutine function) until it is true."""
    while True:
        got = probe()
        if asyncio.iscoroutine(got):
            got = await got
        if got:
            return
        await asyncio.sleep(0.05)


async def burst(js: Any, applied: Applied, events: list[Event]) -> tuple[float, int]:
    """(events/s from the first publish to the commit that applied the last, last seq)."""
    started = time.perf_counter()
    last = await publish(js, events)
    done = await applied.reach(last)
    return len(events) / (done - started), last


def ms(values: list[float], q: float) -> str:
    return f"{pct(values, q):.1f}"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def load_base(js: Any, applied: Applied, conn: asyncpg.Connection, runs: int) -> int:
    """The base set, published in slices (a million events are not held at once)."""
    last = 0
    for n, first in enumerate(range(0, runs, 2000)):
        events = [e for i in range(first, min(runs, first + 2000)) for e in run_events(i, seed=1)]
        last = await publish(js, events)
        print(f"base set: {min(runs, first + 2000)} of {runs} runs published", flush=True)
        if n % 10 == 0:
            await analyze(conn)
    await applied.reach(last)
    await analyze(conn)
    return last


async def analyze(conn: asyncpg.Connection) -> None:
    """Table statistics, as autovacuum keeps them in a deployment: the test server runs
    with autovacuum off, and without statistics the planner scanned whole tables in the
    detector's statements (200 events/s decided instead of thousands)."""
    await conn.execute("ANALYZE")


async def bench(args: argparse.Namespace, server: NatsServer, pg: PostgresServer) -> list[Any]:
    rng = random.Random(7)
    db_url = pg.url_for(await pg.create_database())
    await upgrade(db_url)
    metrics_port = free_port()
    metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    env = {"LINEAGE_METRICS_PORT": str(metrics_port), "LINEAGE_WATCH_BACKOFF_MAX_SECONDS": "1"}
    home = Path(server.store)
    proc = start_projector(server.url, db_url, home / "projector.log", env)
    api, api_url = start_api(server.url, db_url, home / "api.log")
    conn = await asyncpg.connect(asyncpg_dsn(db_url))
    applied = Applied()
    await conn.add_listener(APPLIED_CHANNEL, applied.on_notify)
    nc, js = await connect_js(server.url)
    receiver = Receiver()
    live = Subscriptions()
    try:
        started = time.perf_counter()
        await wait_detected(conn, await load_base(js, applied, conn, args.base_runs))
        base_seconds = time.perf_counter() - started
        pool = [base_dobject(r, k) for r in range(args.base_runs) for k in (0, 1)]

        def random_versions(n: int) -> list[Event]:
            return [new_version(rng.choice(pool), rng) for _ in range(n)]

        rate_without, last = await burst(js, applied, random_versions(args.burst))
        await wait_detected(conn, last)

        await receiver.start()
        for w in range(args.watches):
            root = rng.choice(pool)
            await create_watch(
                conn, f"w{w}", root_kind="DOBJECT", root_id=root.id, url=receiver.url
            )
        await live.open(api_url, [str(rng.choice(pool).id) for _ in range(args.subscriptions)])
        before = await detector_costs(metrics_url)
        rate_with, last = await burst(js, applied, random_versions(args.burst))
        await wait_detected(conn, last)
        after = await detector_costs(metrics_url)
        small_facts = (after[0] - before[0]) / args.burst
        small_match = (after[1] - before[1]) / args.burst
        pending = "SELECT count(*) = 0 FROM watch_deliveries WHERE state = 'pending'"
        await until(lambda: conn.fetchval(pending))
        burst_deliveries = len(receiver.received)

        # steady phase, the receiver down at first
        await receiver.stop()
        receiver.received.clear()
        live.arrivals.clear()
        published: dict[int, float] = {}
        back_at = 0.0
        start = time.perf_counter()
        total = int(args.rate * args.seconds)
        pace = 10  # events per publish: 1,000/s one at a time would pace the bench itself
        for i in range(0, total, pace):
            target = start + i / args.rate
            if (delay := target - time.perf_counter()) > 0:
                await asyncio.sleep(delay)
            if not back_at and time.perf_counter() - start >= args.down_seconds:
                await receiver.start()
                back_at = time.perf_counter()
            sent = time.perf_counter()
            first_seq = await publish_each(js, random_versions(min(pace, total - i)))
            for seq in first_seq:
                published[seq] = sent
        steady_seconds = time.perf_counter() - start
        last = max(published)
        await applied.reach(last)
        await wait_detected(conn, last)
        expected = await conn.fetchval(
            "SELECT count(*) FROM watch_deliveries WHERE sequence >= $1", min(published)
        )
        await until(lambda: len({r.json["delivery_id"] for r in receiver.delivered()}) >= expected)
        first: dict[str, Any] = {}
        for r in receiver.delivered():
            first.setdefault(r.json["delivery_id"], r)
        by_watch: dict[str, list[int]] = {}
        for r in first.values():
            by_watch.setdefault(r.json["watch"], []).append(r.json["change"]["sequence"])
        in_order = all(seqs == sorted(seqs) for seqs in by_watch.values())
        queryable = [
            (at - published[s]) * 1000
            for s in published
            if published[s] >= back_at and (at := applied.time_of(s)) is not None
        ]
        webhook = [
            (r.at - published[r.json["change"]["sequence"]]) * 1000
            for r in first.values()
            if published.get(r.json["change"]["sequence"], 0) >= back_at
        ]
        subscribed = [
            (at - published[seq]) * 1000
            for _, seq, at in live.arrivals
            if published.get(seq, 0) >= back_at
        ]
        # where the time goes: raw event received -> delivery row -> delivered
        split = await conn.fetchrow(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM "
            "d.created_at - e.received_at)) AS detect, percentile_cont(0.5) WITHIN GROUP "
            "(ORDER BY extract(epoch FROM d.finished_at - d.created_at)) AS deliver "
            "FROM watch_deliveries d JOIN raw_events e ON e.sequence = d.sequence "
            "WHERE d.sequence >= $1",
            min(published),
        )
        fan = await fan_in(
            args,
            js=js,
            applied=applied,
            conn=conn,
            receiver=receiver,
            metrics_url=metrics_url,
            rng=rng,
        )
    finally:
        await live.close()
        await nc.close()
        await conn.close()
        await receiver.stop()
        for part in (proc, api):
            part.terminate()
            part.wait(timeout=30)

    fan_facts, fan_match, fan_deliveries = fan
    return [
        ("base set", f"{args.base_runs * 6:,} events, {len(pool):,} dobjects"),
        ("  published and applied in", f"{base_seconds:.0f} s"),
        ("projector rate, no watch", f"{rate_without:,.0f} events/s"),
        (
            f"projector rate, {args.watches} watches + {args.subscriptions} subscriptions",
            f"{rate_with:,.0f} events/s",
        ),
        ("  ratio with / without", f"{rate_with / rate_without:.2f} (target >= 0.8)"),
        ("  deliveries of that burst", f"{burst_deliveries} for {args.burst} events"),
        ("detector per event, small roots", f"{small_facts * 1e3:.3f} ms"),
        ("  of which membership", f"{small_match * 1e3:.3f} ms"),
        (
            f"steady {args.rate:g}/s for {args.seconds:g} s",
            f"{total} events (published in {steady_seconds:.1f} s)",
        ),
        (f"  receiver down first {args.down_seconds:g} s", f"{expected} deliveries, all arrived"),
        ("  in order within every watch", str(in_order)),
        (
            "  event -> queryable p50 / p99",
            f"{pct(queryable, 0.5):.1f} / {pct(queryable, 0.99):.1f} ms",
        ),
        ("  event -> webhook p50 / p99", f"{pct(webhook, 0.5):.1f} / {pct(webhook, 0.99):.1f} ms"),
        (
            "  webhook p99 target",
            f"<= {2 * pct(queryable, 0.99) + 20:.1f} ms (2x queryable p99 + 20 ms)",
        ),
        ("  median received -> recorded", f"{split['detect'] * 1e3:.1f} ms"),
        ("  median recorded -> delivered", f"{split['deliver'] * 1e3:.1f} ms"),
        (
            f"  {args.subscriptions} subscriptions: changes",
            f"{len(live.arrivals)}, in order: {live.in_order()}, errors: {len(live.errors)}",
        ),
        (
            "  event -> subscription p50 / p99",
            f"{pct(subscribed, 0.5):.1f} / {pct(subscribed, 0.99):.1f} ms",
        ),
        (f"fan-in root, {args.fan_in} upstream", f"{fan_deliveries} deliveries to its watch"),
        ("detector per event, fan-in", f"{fan_facts * 1e3:.3f} ms"),
        ("  of which membership", f"{fan_match * 1e3:.3f} ms"),
        ("  membership fan-in / small", f"{fan_match / small_match:.2f}" if small_match else "-"),
        ("samples", f"{len(queryable)} queryable, {len(webhook)} webhook, {len(subscribed)} live"),
    ]


async def publish_each(js: Any, events: list[Event]) -> list[int]:
    """Publish `events` at once; the stream sequence of each."""
    futures = [
        await js.publish_async(
            subjects.subject_for(e.event_type),
            encode(e),
            headers={subjects.MSG_ID_HEADER: str(e.event_id)},
        )
        for e in events
    ]
    return [int((await f).seq) for f in futures]


async def fan_in(
    args: argparse.Namespace,
    *,
    js: Any,
    applied: Applied,
    conn: asyncpg.Connection,
    receiver: Receiver,
    metrics_url: str,
    rng: random.Random,
) -> tuple[float, float, int]:
    """A root whose run loaded `fan_in` dobjects, each written by a run, watched; a burst
    writing a new version of each: (detector and membership seconds per event, deliveries)."""
    fan = [
        DObjectRef(id=uuid.uuid5(uuid.NAMESPACE_URL, f"fan/{i}"), name=f"f{i}", suffix=".t")
        for i in range(args.fan_in)
    ]
    root = DObjectRef(id=uuid.uuid5(uuid.NAMESPACE_URL, "fan/root"), name="root", suffix=".t")
    root_run = uuid.uuid4()
    build: list[Event] = [new_version(f, rng) for f in fan]
    build += [
        InputLoaded(
            event_id=uuid.uuid4(),
            occurred_at=e.occurred_at,
            producer=PRODUCER,
            run_id=root_run,
            dobject=e.dobject,
        )
        for e in list(build)
    ]
    writes_root = new_version(root, rng)
    build.append(writes_root.model_copy(update={"run_id": root_run}))
    last = await publish(js, build)
    await applied.reach(last)
    await analyze(conn)
    await wait_detected(conn, last)
    await create_watch(conn, "fan", root_kind="DOBJECT", root_id=root.id, url=receiver.url)
    before = await detector_costs(metrics_url)
    last = await publish(js, [new_version(f, rng) for f in fan])
    await applied.reach(last)
    await wait_detected(conn, last)
    after = await detector_costs(metrics_url)
    deliveries = await conn.fetchval(
        "SELECT count(*) FROM watch_deliveries d JOIN watches w ON w.id = d.watch_id "
        "WHERE w.name = 'fan'"
    )
    return (after[0] - before[0]) / args.fan_in, (after[1] - before[1]) / args.fan_in, deliveries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-runs", type=int, default=166_667)
    parser.add_argument("--watches", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=5000)
    parser.add_argument("--subscriptions", type=int, default=100)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--down-seconds", type=float, default=30.0)
    parser.add_argument("--fan-in", type=int, default=10_000)
    args = parser.parse_args()
    server = NatsServer()
    server.start()
    pg = PostgresServer()
    try:
        rows = asyncio.run(bench(args, server, pg))
    finally:
        server.close()
        pg.close()
    print(" ".join(["bench/bench_watches.py", *sys.argv[1:]]))
    width = max(len(k) for k, _ in rows)
    print(f"\n| {'measure':<{width}} | value |\n|{'-' * (width + 2)}|---|")
    for k, v in rows:
        print(f"| {k:<{width}} | {v} |")


if __name__ == "__main__":
    main()
