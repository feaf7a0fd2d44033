"""How fast the SDK's outbox drains after a NATS outage while the producer keeps sending.

    .venv/bin/python bench/bench_outbox.py [--rates 100 200 400] [--seconds 10] [--outage 3]

For each rate, one SDK publisher (tests/support/outbox_drain.py) sends `--seconds` worth of
events paced at that rate to its own nats-server; after 2 s of sending the server is
stopped for `--outage` seconds and started again. The table gives the time from NATS
being back until the outbox was empty (while the producer still sent; "never" if it was
not empty before the producer stopped, or gave up after 3x `--seconds`), and checks that
every event is in the stream exactly once and in order. The references, measured in the
same run: an fsync'd 600-byte append and an acknowledged JetStream publish (p50), which
bound what one outboxed and one re-sent event cost. The machine is shared (2 cores):
give the load beside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nats

import producer_sdk
from lineage_core.streams import ensure_streams
from tests.support.outbox_drain import run_outage
from tests.support.servers import NatsServer


def fsync_p50_ms(directory: Path, count: int = 200) -> float:
    times = []
    with (directory / "probe").open("ab") as f:
        for _ in range(count):
            started = time.perf_counter()
            f.write(b"x" * 599 + b"\n")
            f.flush()
            os.fsync(f.fileno())
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e3


async def publish_p50_ms(url: str, count: int = 300) -> float:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await ensure_streams(js)
        times = []
        for i in range(count):
            started = time.perf_counter()
            await js.publish("lineage.bench.probe", b"{}", headers={"Nats-Msg-Id": f"p{i}"})
            times.append(time.perf_counter() - started)
        await js.purge_stream("LINEAGE")  # the scenario reads back only its own events
        return statistics.median(times) * 1e3
    finally:
        await nc.close()


async def main(args: argparse.Namespace) -> None:
    logging.getLogger("producer_sdk").setLevel(logging.ERROR)  # the outage is expected
    print(f"producer_sdk from {Path(producer_sdk.__file__).parent}")
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores)")
    rows = []
    for rate in args.rates:
        server = NatsServer()
        server.start()
        home = Path(tempfile.mkdtemp(prefix="lineage-outbox-bench-"))
        try:
            fsync_ms = fsync_p50_ms(home)
            publish_ms = await publish_p50_ms(server.url)
            report = await run_outage(
                server,
                home,
                rate=rate,
                seconds=args.seconds,
                outage_at=2.0,
                outage=args.outage,
                stop_after=3 * args.seconds,
            )
        finally:
            server.close()
        rows.append((rate, fsync_ms, publish_ms, report))
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores)")
    print(
        "\n| events/s | sent | via outbox | outage s | drained after s | drain / outage "
        "| fsync p50 ms | publish p50 ms | once, in order |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for rate, fsync_ms, publish_ms, r in rows:
        drained = "never" if r.drain_seconds is None else f"{r.drain_seconds:.2f}"
        ratio = "-" if r.drain_seconds is None else f"{r.drain_seconds / r.outage_seconds:.2f}"
        ok = r.missing == 0 and r.duplicates == 0 and r.in_order
        print(
            f"| {rate:.0f} | {r.sent} | {r.outboxed} | {r.outage_seconds:.1f} | {drained} "
            f"| {ratio} | {fsync_ms:.1f} | {publish_ms:.2f} | {'yes' if ok else 'NO'} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[100.0, 200.0, 400.0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--outage", type=float, default=3.0)
    asyncio.run(main(parser.parse_args()))
