"""Dataset versions against the same data without them, measured in one run.

    .venv/bin/python bench/bench_versions.py [--pipelines 200] [--nights 10] [--repeat 60]

Two databases get the same number of events through the projector's batch transaction:
`pipelines` chains of 12 stages run every night for `nights` nights, each stage loading
the table of the stage before and writing its own. With versions, a stage's table is one
dobject rewritten every night (a version per night); without, every night writes new
dobjects. Then, through the read model's statements (lineage_read), p50 over `repeat`
roots of:

- the seed question ("the run that produced X": runs filtered by output name), and the
  depth-10 dobject walk, with versions vs without (target: within 1.1x);
- lineage(versionId:) depth 10 vs the dobject walk on the same data (target: 2x);
- DObject.stale on a page of 100 dobjects (one statement) vs the page without it
  (target: 1.5x).

Prints one table. The machine is shared: read each ratio within its run.
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
from typing import Any

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


async def p50(repeat: int, call: Callable[[int], Awaitable[object]]) -> float:
    for i in range(3):
        await call(i)  # warm the caches and prepared statements
    times = []
    for i in range(repeat):
        started = time.perf_counter()
        await call(i)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def measure(
    dsn: str, pipelines: int, nights: int, versioned: bool, repeat: int
) -> dict[str, float]:
    conn = await asyncpg.connect(dsn)
    db: Any = _Db(conn)
    last = nights - 1
    roots = [_table(p % pipelines, STAGES, last, versioned).id for p in range(repeat + 3)]
    names = [_table(p % pipelines, STAGES, last, versioned).name for p in range(repeat + 3)]
    out: dict[str, float] = {}
    try:

        async def seed(i: int) -> object:
            sql = Sql()
            where = run_condition(sql, RunFilter(output=DObjectFilter(name=names[i])), "r")
            return await conn.fetch(
                f"SELECT r.id FROM projection.runs r WHERE {where} ORDER BY r.first_seen_at, r.id"
                " LIMIT 100",
                *sql.params,
            )

        out["seed"] = await p50(repeat, seed)
        out["walk"] = await p50(repeat, lambda i: walk(db, roots[i], "DOBJECT", "UPSTREAM", 10))
        if versioned:
            current = [c.version_id for c in await versions.current_versions(db, roots)]
            out["version walk"] = await p50(
                repeat,
                lambda i: version_walk(db, current[i], "UPSTREAM", 10),  # type: ignore[arg-type]
            )
        page = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM projection.dobjects ORDER BY created_at DESC, id LIMIT 400"
            )
        ]
        pages = [page[(i * 7) % 300 : (i * 7) % 300 + 100] for i in range(repeat + 3)]
        plain = f"SELECT {DOBJECT_COLUMNS} FROM projection.dobjects d WHERE d.id = ANY($1::uuid[])"
        out["page"] = await p50(repeat, lambda i: conn.fetch(plain, pages[i]))

        async def page_and_stale(i: int) -> object:
            await conn.fetch(plain, pages[i])
            return await versions.current_versions(db, pages[i])

        out["page + stale"] = await p50(repeat, page_and_stale)
    finally:
        await conn.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipelines", type=int, default=200)
    parser.add_argument("--nights", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()
    postgres = PostgresServer()
    results = {}
    counts = {}
    for versioned in (False, True):
        name = asyncio.run(postgres.create_database())
        url = postgres.url_for(name)
        asyncio.run(upgrade(url))
        evs = events(args.pipelines, args.nights, versioned)
        counts[versioned] = len(evs)
        started = time.perf_counter()
        asyncio.run(fill(asyncpg_dsn(url), evs))
        print(
            f"filled {len(evs):,} events in {time.perf_counter() - started:.0f} s", file=sys.stderr
        )
        results[versioned] = asyncio.run(
            measure(asyncpg_dsn(url), args.pipelines, args.nights, versioned, args.repeat)
        )
        asyncio.run(postgres.drop_database(name))
    plain, ver = results[False], results[True]
    ms = 1000
    print(
        f"\n{counts[True]:,} events each ({args.pipelines} pipelines x {STAGES} stages x "
        f"{args.nights} nights); p50 of {args.repeat}\n"
    )
    print("| question | reference | measured | ratio | target |")
    print("|---|---|---|---|---|")
    rows = [
        ("seed question", "same data, no versions", plain["seed"], ver["seed"], "<= 1.1"),
        ("dobject walk depth 10", "same data, no versions", plain["walk"], ver["walk"], "<= 1.1"),
        (
            "lineage(versionId:) depth 10",
            "dobject walk, same data",
            ver["walk"],
            ver["version walk"],
            "<= 2",
        ),
        (
            "page of 100 + DObject.stale",
            "the page without it",
            ver["page"],
            ver["page + stale"],
            "<= 1.5",
        ),
    ]
    for what, ref_name, ref, got, target in rows:
        print(
            f"| {what} | {ref_name}: {ref * ms:.2f} ms | {got * ms:.2f} ms | "
            f"{got / ref:.2f} | {target} |"
        )


if __name__ == "__main__":
    main()
