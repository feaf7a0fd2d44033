"""Dataset versions against the same data without them, measured in one run.

    .venv/bin/python bench/bench_versions.py [--pipelines 200] [--nights 10] [--repeat 60]

Two databases get the same number of events through the projector's batch transaction:
`pipelines` chains of 12 stages run every night for `nights` nights, each stage loading
the table of the stage before and writing its own. With versions, a stage's table is one
dobject rewritten every night (a version per night); without, every night writes new
dobjects. Both are filled (then VACUUM ANALYZE, as autovacuum leaves a database in
service) before anything is timed; then, through the read model's statements
(lineage_read), p50 over `repeat` roots, each question's reference and measured call
taking turns so that the machine's load hits both alike, of:

- the seed question ("the run that produced X": runs filtered by output name), and the
  depth-10 dobject walk, with versions vs without (target: within 1.1x);
- lineage(versionId:) depth 10 vs the dobject walk on the same data (target: 2x);
- DObject.stale on a page of 100 dobjects (one statement) vs the page without it
  (target: 1.5x).

Prints one table, and the answers' sizes: with versions every nightly writer of a table
is upstream of it, so the seed question finds 10 runs where the reference finds 1 and the
walk returns about 5x the nodes. The machine is shared: read each ratio within its run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from lineage_core.db.engine import upgrade
from lineage_core.events import (
    DObjectRef,
    Event,
    InputLoaded,
    OutputRegistered,
    RunFinished,
    RunStarted,
    Transform,
)
from lineage_core.ids import transform_id
from lineage_read import versions
from lineage_read.filters import DObjectFilter, RunFilter, Sql, run_condition
from lineage_read.lineage import walk
from lineage_read.rows import DOBJECT_COLUMNS
from lineage_read.version_walk import version_walk
from projector.store import asyncpg_dsn
from tests.support.projector import apply_batches
from tests.support.servers import PostgresServer

STAGES = 12
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _table(p: int, stage: int, night: int, versioned: bool) -> DObjectRef:
    key = f"{p}/{stage}" if versioned else f"{p}/{stage}/{night}"
    return DObjectRef(
        id=uuid.uuid5(uuid.NAMESPACE_URL, f"bench:{key}"),
        name=f"p{p}_stage{stage}" + ("" if versioned else f"_n{night}"),
        suffix=".parquet",
        hash=f"{p}/{stage}/{night}",
    )


def events(pipelines: int, nights: int, versioned: bool) -> list[Event]:
    out: list[Event] = []
    for night in range(nights):
        for p in range(pipelines):
            for stage in range(1, STAGES + 1):
                at = T0 + timedelta(days=night, seconds=p * STAGES * 4 + stage * 4)
                run = uuid.uuid4()
                name = f"pipeline {p} stage {stage}"
                common: dict[str, Any] = {"producer": "bench", "run_id": run}
                t = Transform(
                    id=transform_id("pipeline", name, "1"), type="pipeline", name=name, version="1"
                )
                out += [
                    RunStarted(event_id=uuid.uuid4(), occurred_at=at, transform=t, **common),
                    InputLoaded(
                        event_id=uuid.uuid4(),
                        occurred_at=at + timedelta(seconds=1),
                        dobject=_table(p, stage - 1, night, versioned),
                        **common,
                    ),
                    OutputRegistered(
                        event_id=uuid.uuid4(),
                        occurred_at=at + timedelta(seconds=2),
                        dobject=_table(p, stage, night, versioned),
                        **common,
                    ),
                    RunFinished(
                        event_id=uuid.uuid4(),
                        occurred_at=at + timedelta(seconds=3),
                        status="completed",
                        **common,
                    ),
                ]
    return out


class _Db:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def rows(self, sql: str, *params: Any) -> list[asyncpg.Record]:
        return await self.conn.fetch(sql, *params)


async def fill(dsn: str, evs: list[Event]) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        size = 2000
        await apply_batches(conn, [evs[i : i + size] for i in range(0, len(evs), size)])
        # as autovacuum does in a database in service: right after a bulk load the
        # visibility map is empty and every index-only scan would still read the heap
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


Call = Callable[[int], Awaitable[object]]


async def p50s(repeat: int, calls: dict[str, Call]) -> dict[str, float]:
    """p50 of each call, the calls taking turns at every repeat: a reference and what is
    compared with it meet the same moments of a loaded machine."""
    for call in calls.values():
        for i in range(3):
            await call(i)  # warm the caches and prepared statements
    times: dict[str, list[float]] = {name: [] for name in calls}
    for i in range(repeat):
        for name, call in calls.items():
            started = time.perf_counter()
            await call(i)
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(t) for name, t in times.items()}


class Side:
    """The questions asked of one database (versioned or not)."""

    def __init__(
        self, conn: asyncpg.Connection, pipelines: int, nights: int, versioned: bool, repeat: int
    ) -> None:
        self.conn = conn
        self.db: Any = _Db(conn)
        tables = [_table(p % pipelines, STAGES, nights - 1, versioned) for p in range(repeat + 3)]
        self.roots = [t.id for t in tables]
        self.names = [t.name for t in tables]
        self.current: list[Any] = []
        self.pages: list[list[uuid.UUID]] = []

    async def prepare(self, repeat: int) -> None:
        self.current = [c.version_id for c in await versions.current_versions(self.db, self.roots)]
        page = [
            r["id"]
            for r in await self.conn.fetch(
                "SELECT id FROM projection.dobjects ORDER BY created_at DESC, id LIMIT 400"
            )
        ]
        self.pages = [page[(i * 7) % 300 : (i * 7) % 300 + 100] for i in range(repeat + 3)]

    async def seed(self, i: int) -> list[asyncpg.Record]:
        sql = Sql()
        where = run_condition(sql, RunFilter(output=DObjectFilter(name=self.names[i])), "r")
        return await self.conn.fetch(
            f"SELECT r.id FROM projection.runs r WHERE {where} ORDER BY r.first_seen_at, r.id"
            " LIMIT 100",
            *sql.params,
        )

    async def walk(self, i: int) -> Any:
        return await walk(self.db, self.roots[i], "DOBJECT", "UPSTREAM", 10)

    async def version_walk(self, i: int) -> Any:
        return await version_walk(self.db, self.current[i], "UPSTREAM", 10)

    async def page(self, i: int) -> object:
        return await self.conn.fetch(PAGE, self.pages[i])

    async def page_and_stale(self, i: int) -> object:
        await self.conn.fetch(PAGE, self.pages[i])
        return await versions.current_versions(self.db, self.pages[i])


PAGE: Final = f"SELECT {DOBJECT_COLUMNS} FROM projection.dobjects d WHERE d.id = ANY($1::uuid[])"


async def measure(dsns: dict[bool, str], pipelines: int, nights: int, repeat: int) -> Any:
    conns = {v: await asyncpg.connect(dsn) for v, dsn in dsns.items()}
    try:
        plain, ver = (Side(conns[v], pipelines, nights, v, repeat) for v in (False, True))
        for side in (plain, ver):
            await side.prepare(repeat)
        got = await p50s(repeat, {"plain seed": plain.seed, "seed": ver.seed})
        got |= await p50s(repeat, {"plain walk": plain.walk, "walk": ver.walk})
        got |= await p50s(repeat, {"walk again": ver.walk, "version walk": ver.version_walk})
        got |= await p50s(repeat, {"page": ver.page, "page + stale": ver.page_and_stale})
        answers = {
            "seed rows": (len(await plain.seed(0)), len(await ver.seed(0))),
            "walk nodes": (len((await plain.walk(0)).nodes), len((await ver.walk(0)).nodes)),
        }
        return got, answers
    finally:
        for conn in conns.values():
            await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipelines", type=int, default=200)
    parser.add_argument("--nights", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()
    postgres = PostgresServer()
    names = {}
    count = 0
    try:
        for versioned in (False, True):
            names[versioned] = asyncio.run(postgres.create_database())
            url = postgres.url_for(names[versioned])
            asyncio.run(upgrade(url))
            evs = events(args.pipelines, args.nights, versioned)
            count = len(evs)
            started = time.perf_counter()
            asyncio.run(fill(asyncpg_dsn(url), evs))
            print(
                f"filled {len(evs):,} events in {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
        dsns = {v: asyncpg_dsn(postgres.url_for(n)) for v, n in names.items()}
        got, answers = asyncio.run(measure(dsns, args.pipelines, args.nights, args.repeat))
    finally:
        for name in names.values():
            asyncio.run(postgres.drop_database(name))
    ms = 1000
    print(
        f"\n{count:,} events each ({args.pipelines} pipelines x {STAGES} stages x "
        f"{args.nights} nights); p50 of {args.repeat}, reference and measured taking turns\n"
    )
    print("| question | reference | measured | ratio | target |")
    print("|---|---|---|---|---|")
    rows = [
        ("seed question", "same data, no versions", "plain seed", "seed", "<= 1.1"),
        ("dobject walk depth 10", "same data, no versions", "plain walk", "walk", "<= 1.1"),
        (
            "lineage(versionId:) depth 10",
            "dobject walk, same data",
            "walk again",
            "version walk",
            "<= 2",
        ),
        ("page of 100 + DObject.stale", "the page without it", "page", "page + stale", "<= 1.5"),
    ]
    for what, ref_name, ref, measured, target in rows:
        print(
            f"| {what} | {ref_name}: {got[ref] * ms:.2f} ms | {got[measured] * ms:.2f} ms | "
            f"{got[measured] / got[ref]:.2f} | {target} |"
        )
    # every nightly writer is upstream of a rewritten table: the answers are larger
    (seed_plain, seed_ver), (walk_plain, walk_ver) = answers["seed rows"], answers["walk nodes"]
    print(
        f"\nanswers, no versions vs versions: seed question {seed_plain} vs {seed_ver} runs; "
        f"dobject walk {walk_plain} vs {walk_ver} nodes"
    )


if __name__ == "__main__":
    main()
