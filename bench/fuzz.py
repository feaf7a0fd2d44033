"""Fuzz the service's doors: a set number of inputs per target, crashes reported.

    .venv/bin/python bench/fuzz.py [--examples 100000] [--targets events,openlineage,graphql]
                                   [--seed 1]

Targets (tests/support/fuzzing.py says what each checks):
- events: any bytes on a lineage subject through the projector's batch decoding (fast
  and slow path together): accepted (and the slow path agrees), or parked with a reason;
- openlineage: any body of POST /api/v1/lineage through its interpretation: a 400 with a
  reason, or events the projector accepts;
- graphql: documents generated from the schema by hypothesis-graphql (valid and invalid),
  damaged copies of them, depth and alias bombs, hostile cursors and ids, posted to the
  real app (in-process; real Postgres holding the seed program's graph; real
  nats-server): no HTTP 500, no INTERNAL error.

Inputs come from a seeded mutation fuzzer (the test suite runs a Hypothesis slice of the
same targets): Hypothesis draws only a few hundred of these inputs a second here. Every
crash is counted; the first few distinct ones are printed with their input. The
reference column is the rate of generating the inputs alone, in the same run. The
machine is shared (2 cores): read the rates as one run.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lineage_core.db.engine import upgrade
from tests.support.api import api_client, seed_graph
from tests.support.fuzzing import (
    _golden_events,
    check_event,
    check_graphql,
    check_openlineage,
    graphql_seed_documents,
    random_event,
    random_graphql,
    random_openlineage,
)
from tests.support.servers import NatsServer, PostgresServer

SHOWN_CRASHES = 3
REFERENCE_CAP = 20_000


@dataclass
class Result:
    target: str
    inputs: int = 0
    seconds: float = 0.0
    reference_rate: float = 0.0
    crashes: int = 0
    distinct: dict[str, str] = field(default_factory=dict)


def fuzz(
    name: str,
    generate: Callable[[random.Random], Any],
    check: Callable[[Any], None],
    examples: int,
    seed: int,
) -> Result:
    result = Result(name)
    rng = random.Random(seed)
    n = min(examples, REFERENCE_CAP)
    started = time.perf_counter()
    for _ in range(n):
        generate(rng)
    result.reference_rate = n / (time.perf_counter() - started)
    rng = random.Random(seed)
    started = time.perf_counter()
    for _ in range(examples):
        value = generate(rng)
        try:
            check(value)
        except Exception as exc:  # noqa: BLE001 - every crash is counted and reported
            result.crashes += 1
            where = traceback.extract_tb(exc.__traceback__)[-1]
            key = f"{type(exc).__name__} at {where.filename}:{where.lineno}"
            if key not in result.distinct and len(result.distinct) < SHOWN_CRASHES:
                result.distinct[key] = f"{exc!r}\ninput: {value!r}"[:1500]
        result.inputs += 1
    result.seconds = time.perf_counter() - started
    return result


def fuzz_graphql(examples: int, seed: int) -> Result:
    nats_server = NatsServer()
    nats_server.start()
    postgres = PostgresServer()
    loop = asyncio.new_event_loop()
    name = loop.run_until_complete(postgres.create_database())
    url = postgres.url_for(name)
    try:
        loop.run_until_complete(upgrade(url))
        graph, _ids = seed_graph()
        loop.run_until_complete(graph.write(url))
        documents = graphql_seed_documents(2000)
        serving = api_client(url, nats_server.url, api_rate_limit=0)
        client, _app = loop.run_until_complete(serving.__aenter__())
        try:
            return fuzz(
                "graphql",
                lambda rng: random_graphql(rng, documents),
                lambda body: loop.run_until_complete(check_graphql(client, body)),
                examples,
                seed,
            )
        finally:
            loop.run_until_complete(serving.__aexit__(None, None, None))
    finally:
        loop.run_until_complete(postgres.drop_database(name))
        loop.close()
        postgres.close()
        nats_server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--targets", default="events,openlineage,graphql")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    bases = _golden_events()
    results = []
    for target in args.targets.split(","):
        print(f"fuzzing {target} with {args.examples} inputs ...", flush=True)
        if target == "events":
            gen = lambda rng: random_event(rng, bases)  # noqa: E731
            results.append(fuzz(target, gen, check_event, args.examples, args.seed))
        elif target == "openlineage":
            results.append(
                fuzz(target, random_openlineage, check_openlineage, args.examples, args.seed)
            )
        else:
            results.append(fuzz_graphql(args.examples, args.seed))
    print("\nmachine: 2 cores shared with other work; rates are of this run only")
    print(
        f"{'target':<12} {'inputs':>9} {'seconds':>8} {'inputs/s':>9} {'vs gen only':>12} crashes"
    )
    for r in results:
        rate = r.inputs / r.seconds if r.seconds else 0.0
        ratio = rate / r.reference_rate if r.reference_rate else 0.0
        print(
            f"{r.target:<12} {r.inputs:>9} {r.seconds:>8.1f} {rate:>9.0f} {ratio:>11.3f}x "
            f"{r.crashes}"
        )
    for r in results:
        for key, detail in r.distinct.items():
            print(f"\n--- {r.target}: {key} ---\n{detail}")
    sys.exit(1 if any(r.crashes for r in results) else 0)


if __name__ == "__main__":
    main()
