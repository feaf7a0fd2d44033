"""Synthetic lineage workloads: runs of the shape producers send (benchmarks, tests).

A run is 1 RunStarted, 2 InputLoaded, 2 OutputRegistered, 1 RunFinished; each run loads
the outputs of the run before it, so the workload is one long lineage chain.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

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

EVENTS_PER_RUN = 6
PRODUCER = "lineage-workload/1"


def pipeline(name: str = "bench pipeline", version: str = "1") -> Transform:
    return Transform(
        id=transform_id("pipeline", name, version), type="pipeline", name=name, version=version
    )


def run_events(index: int, *, seed: int = 0, base: datetime | None = None) -> list[Event]:
    """The six events of run `index` (ids derived from `seed` and `index`, so reproducible)."""
    rng = random.Random(seed * 1_000_003 + index)

    def uid() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    base = base or datetime(2026, 1, 1, tzinfo=UTC)
    t0 = base + timedelta(seconds=index)
    run_id = uuid.UUID(int=uuid.uuid5(uuid.NAMESPACE_URL, f"run/{seed}/{index}").int)
    transform = pipeline(f"pipeline {index % 10}")

    def output_of(run: int, k: int) -> DObjectRef:
        oid = uuid.uuid5(uuid.NAMESPACE_URL, f"dobject/{seed}/{run}/{k}")
        return DObjectRef(id=oid, name=f"out_{run}_{k}", suffix=".bam", size=1000 + k)

    inputs = (
        [output_of(index - 1, k) for k in (0, 1)]
        if index > 0
        else [
            DObjectRef(
                id=uuid.uuid5(uuid.NAMESPACE_URL, f"dobject/{seed}/raw/{k}"),
                name=f"raw_{k}",
                suffix=".fastq.gz",
            )
            for k in (0, 1)
        ]
    )
    ms = timedelta(milliseconds=1)
    return [
        RunStarted(
            event_id=uid(),
            occurred_at=t0,
            producer=PRODUCER,
            run_id=run_id,
            transform=transform,
            run_name=f"run {index}",
        ),
        *(
            InputLoaded(
                event_id=uid(),
                occurred_at=t0 + (k + 1) * ms,
                producer=PRODUCER,
                run_id=run_id,
                dobject=d,
            )
            for k, d in enumerate(inputs)
        ),
        *(
            OutputRegistered(
                event_id=uid(),
                occurred_at=t0 + (k + 3) * ms,
                producer=PRODUCER,
                run_id=run_id,
                dobject=output_of(index, k),
            )
            for k in (0, 1)
        ),
        RunFinished(
            event_id=uid(),
            occurred_at=t0 + 5 * ms,
            producer=PRODUCER,
            run_id=run_id,
            status="completed",
        ),
    ]


def workload(runs: int, *, seed: int = 0) -> Iterator[Event]:
    """`runs` runs, in order."""
    for index in range(runs):
        yield from run_events(index, seed=seed)
