"""The API of this checkout against the API of another commit, same database, same run.

    git worktree add --detach /tmp/bench-before <commit>
    .venv/bin/python bench/bench_api_compare.py /tmp/bench-before [--runs 20000]
        [--rounds 3] [--seconds 5] [--connections 8] [--database-url URL]

Builds one database as bench_api.py does (or reuses one), then serves it in rounds:
each round starts the other checkout's API, measures bench_api.py's three questions,
stops it, and does the same with this checkout's API, so both see the same machine
load over the run. Prints, per question, the median req/s and p50 of each over the
rounds, and their ratio (this / other): above 1.00 this checkout is faster. The
machine is shared: read the spread of the rounds beside the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_api import (
    Load,
    _existing,
    analyze,
    build_database,
    measure,
    serve_api,
    the_scenarios,
)
from tests.support.servers import NatsServer, PostgresServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="a checkout of the commit to compare with")
    parser.add_argument("--runs", type=int, default=20_000, help="chain runs (6 events each)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--load", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python"
    )
    parser.add_argument("--database-url", help="reuse a database built by an earlier run")
    args = parser.parse_args()
    trees = {"other": args.other.resolve(), "this": ROOT}

    nats = NatsServer()
    nats.start()
    postgres = None
    try:
        database_url = args.database_url
        if database_url is None:
            postgres = PostgresServer()
            database_url = postgres.url_for(asyncio.run(postgres.create_database()))
            events, last_output = asyncio.run(build_database(database_url, args.runs))
        else:
            events, last_output = asyncio.run(_existing(database_url, args.runs))
            asyncio.run(analyze(database_url))
        scenarios = the_scenarios(last_output)
        loads: dict[tuple[str, str], list[Load]] = {}
        for done in range(args.rounds):
            for tree, root in trees.items():
                server, port = serve_api(database_url, nats.url, 1, root=root)
                try:
                    for label, body in scenarios:
                        load = measure(server, port, body, args)[0]
                        loads.setdefault((tree, label), []).append(load)
                finally:
                    server.terminate()
                    server.wait(20)
            print(f"  round {done + 1} of {args.rounds} done", file=sys.stderr)
    finally:
        nats.close()
        if postgres is not None:
            postgres.close()
    report(events, [label for label, _ in scenarios], loads, args)


def report(
    events: int,
    labels: list[str],
    loads: dict[tuple[str, str], list[Load]],
    args: argparse.Namespace,
) -> None:
    print(
        f"\nGraphQL API, one uvicorn worker, {events:,} events, {args.connections} keep-alive "
        f"connections, {args.seconds:g} s per question, {args.rounds} rounds alternating "
        f"(other = {args.other}), load: {args.load}\n"
    )
    print(
        f"| {'query':32} | {'other req/s':>11} | {'this req/s':>10} | {'ratio':>5} "
        f"| {'other p50':>9} | {'this p50':>8} | rounds this/other (req/s) |"
    )
    print(f"|{'-' * 34}|{'-' * 13}|{'-' * 12}|{'-' * 7}|{'-' * 11}|{'-' * 10}|{'-' * 27}|")
    for label in labels:
        other, this = loads["other", label], loads["this", label]
        rate_other = statistics.median(x.rate for x in other)
        rate_this = statistics.median(x.rate for x in this)
        rounds = " ".join(f"{t.rate / o.rate:.2f}" for t, o in zip(this, other, strict=True))
        print(
            f"| {label:32} | {rate_other:11.0f} | {rate_this:10.0f} "
            f"| {rate_this / rate_other:5.2f} | {statistics.median(x.p50 for x in other):9.2f} "
            f"| {statistics.median(x.p50 for x in this):8.2f} | {rounds:25} |"
        )


if __name__ == "__main__":
    main()
