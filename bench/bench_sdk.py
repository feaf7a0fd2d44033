"""Latency of the producer SDK's calls: p50/p99 of `ln.add`, `load(is_run_input=True)`,
`ln.DObject(path)` and `select(...).one()`, plus whole runs per second.

    python bench/bench_sdk.py [--n 1000]

Uses the running service (`lineage up`, found like the SDK finds it). Without a
reachable API it starts its own nats-server in a temp dir and measures the publishing
calls only. Prints a table; never asserts timings.

References, measured in the same run against the same servers: a bare nats-py
JetStream publish with its ack (1 KB to a scratch stream) for the publishing calls, and a
bare HTTP POST of `{ __typename }` to the API for the queries; each call's p50 is also
printed as a ratio to its reference.

Peers, same workload (a run with one input and one output, in-process on SQLite),
measured on 2026-11-28 on the machine where this bench gave 106 runs/s
(README): lamindb 2.12.1 16-18 runs/s with the manual API, MLflow 3.17.2 17.5-22.8
runs/s; query p50 1.9-5.9 ms (lamindb), 15-20 ms (MLflow). They are not installed with
the project; their figures are printed as measured then, for scale.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PEERS = [
    ("lamindb 2.12.1 (manual API, SQLite)", "16-18 runs/s, query p50 1.9-5.9 ms"),
    ("MLflow 3.17.2 (SQLite)", "17.5-22.8 runs/s, query p50 15-20 ms"),
]


def percentiles(samples_ns: list[int]) -> tuple[float, float, float]:
    ms = sorted(s / 1e6 for s in samples_ns)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return statistics.median(ms), p99, statistics.fmean(ms)


def timed(calls: list[Callable[[], object]]) -> list[int]:
    out = []
    for call in calls:
        start = time.perf_counter_ns()
        call()
        out.append(time.perf_counter_ns() - start)
    return out


def api_reachable() -> bool:
    import httpx

    from lineage_core.settings import Settings

    try:
        url = Settings().resolved_api_url().rstrip("/") + "/healthz"
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def publish_reference(nats_url: str, n: int) -> list[int]:
    """Bare JetStream publish + ack of 1 KB, `n` times, to a scratch stream of its own."""
    import asyncio

    import nats

    async def run() -> list[int]:
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        stream = f"BENCH_SDK_REF_{os.getpid()}"
        await js.add_stream(name=stream, subjects=[f"bench.sdk.ref.{os.getpid()}"])
        out = []
        try:
            for i in range(n):
                start = time.perf_counter_ns()
                await js.publish(f"bench.sdk.ref.{os.getpid()}", b"x" * 1024 + str(i).encode())
                out.append(time.perf_counter_ns() - start)
        finally:
            await js.delete_stream(stream)
            await nc.close()
        return out

    return asyncio.run(run())


def query_reference(api_url: str, n: int) -> list[int]:
    """Bare POST of `{ __typename }` to the API, `n` times, on one connection."""
    import httpx

    with httpx.Client(timeout=30) as client:
        url = api_url.rstrip("/") + "/graphql"
        client.post(url, json={"query": "{ __typename }"})
        return timed([lambda: client.post(url, json={"query": "{ __typename }"})] * n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="calls per measured operation")
    args = parser.parse_args()
    n = args.n

    workdir = Path(tempfile.mkdtemp(prefix="bench-sdk-"))
    os.chdir(workdir)
    nats = None
    with_api = api_reachable()
    if not with_api:
        from lineage_cli.embedded import EmbeddedNats

        nats = EmbeddedNats.start(workdir)
        os.environ.update(
            LINEAGE_NATS_URL=nats.url,
            LINEAGE_API_URL="http://127.0.0.1:9",
            LINEAGE_HOME=str(workdir / "home"),
        )
    import logging

    logging.getLogger("producer_sdk").setLevel(logging.ERROR)  # "service unreachable" once
    import producer_sdk as ln
    from producer_sdk import schema as lns

    tag = os.urandom(4).hex()
    files = []
    for i in range(n):
        path = workdir / f"out_{tag}_{i}.txt"
        path.write_bytes(f"output {tag} {i} ".encode() * 64)  # 1 KB, distinct
        files.append(path)

    pipeline = ln.add(lns.Pipeline(name=f"bench {tag}", v="1"))
    ln.Run(pipeline=pipeline, global_context=True)
    ln.add(ln.DObject(ln.dev.datasets.file_fastq()))  # warm-up: connection, imports

    from lineage_core.settings import Settings

    settings = Settings()
    publish_ref = percentiles(publish_reference(settings.resolved_nats_url(), n))[0]
    query_ref = percentiles(query_reference(settings.resolved_api_url(), 300))[0] if with_api else 0
    rows: list[tuple[str, int, tuple[float, float, float]]] = []
    dobjects: list[object] = []
    construct = timed([lambda p=p: dobjects.append(ln.DObject(p)) for p in files])  # type: ignore[misc]
    label = "ln.DObject(path) (hash 1 KB + " + ("look-up)" if with_api else "no API)")
    rows.append((label, n, percentiles(construct)))
    add = timed([lambda d=d: ln.add(d) for d in dobjects])  # type: ignore[misc]
    rows.append(("ln.add(dobject) (output, acked)", n, percentiles(add)))
    loader = ln.Run(pipeline=pipeline, global_context=True)
    load = timed([lambda d=d: d.load(is_run_input=True) for d in dobjects])  # type: ignore[misc]
    rows.append(("dobject.load(is_run_input=True)", n, percentiles(load)))
    if with_api:
        hashes = [d.hash for d in dobjects[: min(n, 300)]]  # type: ignore[attr-defined]
        one = timed([lambda h=h: ln.select(ln.DObject, hash=h).one() for h in hashes])  # type: ignore[misc]
        rows.append(("select(DObject, hash=...).one()", len(hashes), percentiles(one)))
        join = timed([lambda: ln.select(lns.Run).join(ln.DObject, name=f"out_{tag}_0").one()] * 100)
        rows.append(("select(Run).join(DObject, name=...).one()", 100, percentiles(join)))

    # Whole runs: RunStarted, InputLoaded, OutputRegistered, RunFinished.
    runs = min(n, 300)
    start = time.perf_counter()
    for i in range(runs):
        run = lns.Run(pipeline=pipeline, name=f"run {i}")
        dobjects[i].load(run=run)  # type: ignore[attr-defined]
        out = workdir / f"run_{i}.bin"
        out.write_bytes(f"run output {tag} {i}".encode())
        ln.add(ln.DObject(out, source=run))
        run.finish()
    per_second = runs / (time.perf_counter() - start)
    del loader

    mode = "NATS + GraphQL API (lineage up)" if with_api else "own nats-server, no API"
    print(f"\nproducer_sdk latency, {mode}, {os.cpu_count()} cores\n")
    print(f"references: bare JetStream publish+ack p50 {publish_ref:.3f} ms", end="")
    print(f"; bare GraphQL POST p50 {query_ref:.3f} ms" if with_api else "")
    print()
    print(
        f"| {'operation':<44} | {'n':>5} | {'p50 ms':>7} | {'p99 ms':>7} | {'mean ms':>7} "
        f"| {'p50 / ref':>9} |"
    )
    print(f"|{'-' * 46}|{'-' * 7}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 11}|")
    for name, count, (p50, p99, mean) in rows:
        # queries and the look-up in DObject(path) against the bare POST, the rest against
        # the bare publish
        ref = query_ref if name.startswith(("select", "ln.DObject")) else publish_ref
        ratio = f"{p50 / ref:.2f}x" if ref else "-"
        print(
            f"| {name:<44} | {count:>5} | {p50:>7.3f} | {p99:>7.3f} | {mean:>7.3f} | {ratio:>9} |"
        )
    print(
        f"\nwhole runs (start, 1 input, 1 output incl. DObject(path), finish): "
        f"{per_second:,.0f} runs/s over {runs} runs"
    )
    print(
        "\npeers, same workload, measured 2026-11-28 where this bench gave 106 runs/s "
        "(see the docstring):"
    )
    for name, figure in PEERS:
        print(f"  {name}: {figure}")
    left = ln.flush()
    if left:
        print(f"\n{left} events still in the outbox", file=sys.stderr)
    if nats is not None:
        ln._runtime.at_exit()  # noqa: SLF001 - the exit hook, run before the bench stops NATS
        nats.stop()


if __name__ == "__main__":
    main()
