"""The lineage questions (time travel, impact, run diff, column lineage) on the
1,000,000-event data set of bench_api.py.

    .venv/bin/python bench/bench_lineage_questions.py [--runs 166667] [--seconds 5]
                                                      [--connections 1]
                                                      [--database-url URL]  # reuse one

Builds (or reuses) bench_api.py's database: one long chain of runs, 2 inputs and 2
outputs each, projected by the rebuild. The scenarios that need more get it as events
appended the projector's way (`projector.store.apply_batch`, so a rebuild reproduces
them), once per database:
- two runs that load 100 dobjects each (90 the same, 5 with a new version of a
  (name, suffix), 5 others each) and produce 3 outputs each, for runDiff;
- 5 chains of 11 dobjects with 100 fields each, every field fed by two fields of the
  previous dobject: 10,000 column edges, for columnLineage.

Then one uvicorn worker serves the API and each scenario is driven for `--seconds`
over `--connections` keep-alive connections (1 by default: the figures are latencies of
one question at a time, not of a queue). The two reference apps of
bench/calibration_apps.py are measured in the same run under bench_api's load (16
connections), and "scaled" divides latencies by how much slower this machine is than
the reference machine by the strawberry hello. The machine may be shared: read the
figures as ratios within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_api import (
    Load,
    analyze,
    build_database,
    calibrate,
    measure,
    serve,
)
from bench.calibration_apps import REFERENCE_RATES
from lineage_core import subjects
from lineage_core.db.engine import upgrade
from lineage_core.events import (
    ColumnInput,
    ColumnLineage,
    DatasetField,
    DObjectRef,
    Event,
    InputLoaded,
    OutputRegistered,
    RunFinished,
    RunStarted,
    encode,
)
from projector.store import Accepted, apply_batch, asyncpg_dsn
from tests.support.servers import NatsServer, PostgresServer
from tests.support.workload import pipeline, run_events

EXTRA_BASE = datetime(2026, 6, 1, tzinfo=UTC)  # after the chain
FIELDS = 100
COLUMN_CHAINS = 5
CHAIN_LENGTH = 11  # dobjects per chain: 10 hops of 200 edges, 2,000 edges per chain
DIFF_INPUTS = 100
IMPACT_RUNS = 333  # the root's chain position from the end: 333 runs + 666 outputs below


def _id(name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"bench-questions/{name}")


MARKER = _id("column/0/0")  # present once the extra events were applied

LINEAGE = """query Lineage($d: ID!) {
  lineage(dobjectId: $d, direction: UPSTREAM, depth: 10) {
    truncated nodes { id kind depth } edges { source target } } }"""
LINEAGE_AS_OF = """query LineageAsOf($d: ID!, $at: DateTime!) {
  lineage(dobjectId: $d, direction: UPSTREAM, depth: 10, asOf: $at) {
    truncated nodes { id kind depth } edges { source target } } }"""
IMPACT = """query Impact($d: ID!) {
  impact(dobjectId: $d) { totalRuns totalDObjects truncated
    runs { distance run { id name status } } dobjects { distance dobject { id name suffix } }
    rerunOrder { id } transforms { name version } } }"""
IMPACT_COUNTS = """query ImpactCounts($d: ID!) {
  impact(dobjectId: $d) { totalRuns totalDObjects } }"""
RUN_DIFF = """query RunDiff($b: ID!, $a: ID!) {
  runDiff(before: $b, after: $a) { transformChanged
    inputs { added { id name suffix } removed { id name suffix } unchanged { id }
             changed { name suffix before { id } after { id } } }
    outputs { added { id } removed { id } unchanged { id } changed { name suffix } } } }"""
COLUMN_LINEAGE = """query ColumnLineage($d: ID!, $f: String) {
  columnLineage(dobjectId: $d, field: $f, direction: UPSTREAM, depth: 5) {
    truncated edges { transformation source { field dobject { id name } }
                      target { field dobject { id name } } } } }"""


def diff_events() -> list[Event]:
    """Two runs of one pipeline loading 100 dobjects each, for runDiff."""
    events: list[Event] = []
    at = iter(EXTRA_BASE + timedelta(milliseconds=i) for i in range(100_000))

    def ref(key: str, name: str) -> DObjectRef:
        return DObjectRef(id=_id(f"diff/{key}"), name=name, suffix=".parquet", size=1)

    shared = [ref(f"shared/{i}", f"table_{i:03}") for i in range(90)]
    sides = {
        "before": [
            *shared,
            *(ref(f"v1/{i}", f"versioned_{i}") for i in range(5)),
            *(ref(f"gone/{i}", f"gone_{i}") for i in range(5)),
        ],
        "after": [
            *shared,
            *(ref(f"v2/{i}", f"versioned_{i}") for i in range(5)),
            *(ref(f"new/{i}", f"new_{i}") for i in range(5)),
        ],
    }
    for side, inputs in sides.items():
        run_id = _id(f"diff/run/{side}")
        events.append(
            RunStarted(
                event_id=uuid.uuid4(),
                occurred_at=next(at),
                run_id=run_id,
                transform=pipeline("nightly report", "1" if side == "before" else "2"),
                producer="bench",
            )
        )
        events += [
            InputLoaded(
                event_id=uuid.uuid4(),
                occurred_at=next(at),
                run_id=run_id,
                dobject=d,
                producer="bench",
            )
            for d in inputs
        ]
        events += [
            OutputRegistered(
                event_id=uuid.uuid4(),
                occurred_at=next(at),
                run_id=run_id,
                dobject=DObjectRef(
                    id=_id(f"diff/out/{side}/{k}"), name=f"report_{k}", suffix=".csv"
                ),
                producer="bench",
            )
            for k in range(3)
        ]
        events.append(
            RunFinished(
                event_id=uuid.uuid4(),
                occurred_at=next(at),
                run_id=run_id,
                status="completed",
                producer="bench",
            )
        )
    return events


def column_events() -> list[Event]:
    """Chains of dobjects with 100 fields; field j of link k+1 reads fields j and j+1 of
    link k (10,000 column edges in all)."""
    events: list[Event] = []
    at = iter(EXTRA_BASE + timedelta(hours=1, milliseconds=i) for i in range(100_000))
    fields = tuple(DatasetField(name=f"f{j}", type="int64") for j in range(FIELDS))
    for chain in range(COLUMN_CHAINS):
        for link in range(CHAIN_LENGTH):
            run_id = _id(f"column/run/{chain}/{link}")
            lineage = None
            if link > 0:
                source = _id(f"column/{chain}/{link - 1}")
                lineage = tuple(
                    ColumnLineage(
                        field=f"f{j}",
                        inputs=(
                            ColumnInput(
                                dobject_id=source, field=f"f{j}", transformation="DIRECT/IDENTITY"
                            ),
                            ColumnInput(
                                dobject_id=source,
                                field=f"f{(j + 1) % FIELDS}",
                                transformation="DIRECT/TRANSFORMATION",
                            ),
                        ),
                    )
                    for j in range(FIELDS)
                )
            events.append(
                RunStarted(
                    event_id=uuid.uuid4(),
                    occurred_at=next(at),
                    run_id=run_id,
                    transform=pipeline("column job", "1"),
                    producer="bench",
                )
            )
            if link > 0:
                events.append(
                    InputLoaded(
                        event_id=uuid.uuid4(),
                        occurred_at=next(at),
                        run_id=run_id,
                        dobject=DObjectRef(
                            id=_id(f"column/{chain}/{link - 1}"),
                            name=f"table_{chain}_{link - 1}",
                            suffix=".parquet",
                        ),
                        producer="bench",
                    )
                )
            events.append(
                OutputRegistered(
                    event_id=uuid.uuid4(),
                    occurred_at=next(at),
                    run_id=run_id,
                    dobject=DObjectRef(
                        id=_id(f"column/{chain}/{link}"),
                        name=f"table_{chain}_{link}",
                        suffix=".parquet",
                    ),
                    fields=fields,
                    column_lineage=lineage,
                    producer="bench",
                )
            )
    return events


async def add_extra_events(database_url: str) -> int:
    """Apply the scenarios' events once (after the chain's sequences); how many were new."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        if await conn.fetchval("SELECT count(*) FROM projection.dobjects WHERE id = $1", MARKER):
            return 0
        sequence = int(
            await conn.fetchval("SELECT coalesce(max(sequence), 0) FROM public.raw_events")
        )
        events = diff_events() + column_events()
        accepted = []
        for offset, event in enumerate(events, start=1):
            accepted.append(
                Accepted(
                    sequence + offset,
                    subjects.subject_for(event.event_type),
                    encode(event).decode(),
                    event,
                )
            )
        await apply_batch(conn, accepted, max_sequence=sequence + len(events))
        return len(events)
    finally:
        await conn.close()


def summary(answer: dict[str, object]) -> str:
    data = answer["data"]
    assert isinstance(data, dict)
    if "lineage" in data:
        return f"{len(data['lineage']['nodes'])} nodes, {len(data['lineage']['edges'])} edges"
    if "impact" in data:
        i = data["impact"]
        listed = f", {len(i['runs'])}+{len(i['dobjects'])} listed" if "runs" in i else ""
        return f"{i['totalRuns']} runs, {i['totalDObjects']} dobjects{listed}"
    if "runDiff" in data:
        d = data["runDiff"]["inputs"]
        return (
            f"inputs +{len(d['added'])} -{len(d['removed'])} ~{len(d['changed'])} "
            f"={len(d['unchanged'])}"
        )
    c = data["columnLineage"]
    return f"{len(c['edges'])} column edges, truncated {c['truncated']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=166_667, help="chain runs (6 events each)")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--calibration-connections", type=int, default=16)
    parser.add_argument(
        "--load", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python"
    )
    parser.add_argument("--database-url", help="reuse a database built by an earlier run")
    args = parser.parse_args()

    nats = NatsServer()
    nats.start()
    postgres = None
    try:
        database_url = args.database_url
        if database_url is None:
            postgres = PostgresServer()
            database_url = postgres.url_for(asyncio.run(postgres.create_database()))
            print(f"building {database_url}", file=sys.stderr)
            asyncio.run(build_database(database_url, args.runs))
            print(f"  (reuse with --database-url {database_url})", file=sys.stderr)
        asyncio.run(upgrade(database_url))
        added = asyncio.run(add_extra_events(database_url))
        print(f"  {added:,} scenario events applied", file=sys.stderr)
        asyncio.run(analyze(database_url))
        events = asyncio.run(_count_events(database_url))
        rows = run_scenarios(database_url, nats.url, args)
        calibration = argparse.Namespace(
            **{**vars(args), "connections": args.calibration_connections}
        )
        references = calibrate(calibration)
    finally:
        nats.close()
        if postgres is not None and args.database_url is None:
            postgres.close()
    report(events, rows, references, args)


def _output(events: list[Event]) -> DObjectRef:
    """The first output of a chain run (its events end output, output, finished)."""
    output = events[-3]
    assert isinstance(output, OutputRegistered)
    return output.dobject


def scenarios(runs: int) -> list[tuple[str, dict[str, object]]]:
    last = run_events(runs - 1, seed=1)
    last_output = str(_output(last).id)
    after_all = (last[-1].occurred_at + timedelta(seconds=1)).isoformat()
    impact_root = str(_output(run_events(runs - IMPACT_RUNS - 1, seed=1)).id)
    column_root = str(_id(f"column/0/{CHAIN_LENGTH - 1}"))
    return [
        ("lineage depth 10", {"query": LINEAGE, "variables": {"d": last_output}}),
        (
            "lineage depth 10 asOf",
            {"query": LINEAGE_AS_OF, "variables": {"d": last_output, "at": after_all}},
        ),
        ("impact ~1,000 nodes (full)", {"query": IMPACT, "variables": {"d": impact_root}}),
        ("impact ~1,000 nodes (counts)", {"query": IMPACT_COUNTS, "variables": {"d": impact_root}}),
        (
            "runDiff 100 + 100 inputs",
            {
                "query": RUN_DIFF,
                "variables": {"b": str(_id("diff/run/before")), "a": str(_id("diff/run/after"))},
            },
        ),
        (
            "columnLineage depth 5, one field",
            {"query": COLUMN_LINEAGE, "variables": {"d": column_root, "f": "f0"}},
        ),
    ]


def run_scenarios(
    database_url: str, nats_url: str, args: argparse.Namespace
) -> list[tuple[str, Load, float, str]]:
    server, port = serve(
        [
            "-c",
            (
                "import uvicorn, sys; from http_edge.app import create_app; "
                "from lineage_core.settings import Settings; "
                "uvicorn.run(create_app(Settings(database_url=sys.argv[1], nats_url=sys.argv[2],"
                " api_rate_limit=0)),"  # one address makes the load: no per-caller limit
                " host='127.0.0.1', port=int(sys.argv[3]), log_level='warning', workers=1)"
            ),
            database_url,
            nats_url,
        ]
    )
    rows = []
    try:
        for label, body in scenarios(args.runs):
            load, cpu_ms, answer = measure(server, port, body, args)
            rows.append((label, load, cpu_ms, summary(answer)))
    finally:
        server.terminate()
        server.wait(10)
    return rows


async def _count_events(database_url: str) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM public.raw_events"))
    finally:
        await conn.close()


TARGETS = {
    "lineage depth 10 asOf": "p50 <= 1.5x without asOf",
    "impact ~1,000 nodes (full)": "p50 < 50 ms scaled",
    "impact ~1,000 nodes (counts)": "p50 <= 0.5x the full one",
    "runDiff 100 + 100 inputs": "p50 < 10 ms scaled",
    "columnLineage depth 5, one field": "p50 < 20 ms scaled",
}


def report(
    events: int,
    rows: list[tuple[str, Load, float, str]],
    references: dict[str, Load],
    args: argparse.Namespace,
) -> None:
    slower = REFERENCE_RATES["strawberry"] / references["strawberry"].rate
    p50 = {label: load.p50 for label, load, _, _ in rows}
    ratios = {
        "lineage depth 10 asOf": p50["lineage depth 10 asOf"] / p50["lineage depth 10"],
        "impact ~1,000 nodes (counts)": p50["impact ~1,000 nodes (counts)"]
        / p50["impact ~1,000 nodes (full)"],
    }
    print(
        f"\nLineage questions, one uvicorn worker, {events:,} events in the database, "
        f"{args.connections} keep-alive connection(s), {args.seconds:g} s each, load: "
        f"{args.load}; the machine's 2 cores may be shared with other work\n"
    )
    print(
        f"| {'query':34} | {'req/s':>7} | {'p50 ms':>7} | {'p99 ms':>7} | {'CPU ms/req':>10} "
        f"| {'p50 scaled':>10} | {'ratio':>6} | {'target':28} | answer |"
    )
    print(
        f"|{'-' * 36}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 12}|{'-' * 12}|{'-' * 8}"
        f"|{'-' * 30}|--------|"
    )
    for label, load, cpu_ms, answer in rows:
        ratio = f"{ratios[label]:6.2f}" if label in ratios else " " * 6
        print(
            f"| {label:34} | {load.rate:7.0f} | {load.p50:7.2f} | {load.p99:7.2f} | {cpu_ms:10.3f} "
            f"| {load.p50 / slower:10.2f} | {ratio} | {TARGETS.get(label, ''):28} | {answer} |"
        )
    print("\nreference apps, same run, 16 connections (field notes' rate on their machine):")
    for kind, load in references.items():
        print(
            f"  {kind:10} hello: {load.rate:7.0f} req/s "
            f"(reference machine: {REFERENCE_RATES[kind]:,.0f} req/s)"
        )
    print(
        f"\nthis machine is {slower:.2f}x slower than the reference by the strawberry hello;"
        " 'p50 scaled' divides the p50 by it. ratio: p50 over the p50 it is compared with."
    )


if __name__ == "__main__":
    main()
