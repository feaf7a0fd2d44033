"""The API of this checkout against the API of another commit, same database, same run.

    git worktree add --detach /tmp/bench-before <commit>
    .venv/bin/python bench/bench_api_compare.py /tmp/bench-before [--runs 20000]
        [--rounds 3] [--seconds 5] [--connections 8] [--database-url URL]

Builds one database as bench_api.py does (or reuses one), then serves it in rounds:
each round starts both checkouts' APIs side by side and measures bench_api.py's three
questions on each in turn, question by question (which of the two goes first alternates
by round), so both see the same machine load within seconds of each other. Prints, per
question, the median req/s, p50 and server CPU per request of each over the rounds, and
their ratios (this / other for req/s, other / this for CPU): above 1.00 this checkout is
faster. On a shared machine the rate moves with the load of others; the uvicorn worker's
CPU time per request moves much less, so read that ratio first, and the spread of the
rounds beside the medians.
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
        loads: dict[tuple[str, str], list[tuple[Load, float]]] = {}
        for done in range(args.rounds):
            servers = {
                tree: serve_api(database_url, nats.url, 1, root=root)
                for tree, root in trees.items()
            }
            order = list(servers) if done % 2 == 0 else list(reversed(servers))
            try:
                for label, body in scenarios:
                    for tree in order:
                        server, port = servers[tree]
                        load, cpu_ms, _ = measure(server, port, body, args)
                        loads.setdefault((tree, label), []).append((load, cpu_ms))
            finally:
                for server, _ in servers.values():
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
    loads: dict[tuple[str, str], list[tuple[Load, float]]],
    args: argparse.Namespace,
) -> None:
    print(
        f"\nGraphQL API, one uvicorn worker, {events:,} events, {args.connections} keep-alive "
        f"connections, {args.seconds:g} s per question, {args.rounds} rounds, the two APIs "
        f"side by side (other = {args.other}), load: {args.load}\n"
    )
    print(
        "| query | other req/s | this req/s | ratio | other p50 | this p50 "
        "| other CPU ms/req | this CPU ms/req | CPU ratio | rounds CPU ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label in labels:
        other, this = loads["other", label], loads["this", label]
        rate_other = statistics.median(x.rate for x, _ in other)
        rate_this = statistics.median(x.rate for x, _ in this)
        cpu_other = statistics.median(c for _, c in other)
        cpu_this = statistics.median(c for _, c in this)
        rounds = " ".join(f"{o / t:.2f}" for (_, t), (_, o) in zip(this, other, strict=True))
        print(
            f"| {label} | {rate_other:.0f} | {rate_this:.0f} | {rate_this / rate_other:.2f} "
            f"| {statistics.median(x.p50 for x, _ in other):.2f} "
            f"| {statistics.median(x.p50 for x, _ in this):.2f} "
            f"| {cpu_other:.3f} | {cpu_this:.3f} | {cpu_other / cpu_this:.2f} | {rounds} |"
        )


if __name__ == "__main__":
    main()
