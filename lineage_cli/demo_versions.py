"""The third part of `lineage demo`: a dataset rewritten on a schedule (docs/questions/
versions.md). Three nightly runs of "expression summary" read cell_counts.parquet, which
the sequencing core delivers (no run wrote it, so it has no versions) and rewrite
expression_summary.csv, one version each (by content hash, labelled with the night's
date); a report run reads the second night's version; the third night adds a column, so
the report is stale: it read a version that is no longer current.

The nights are one and two days back from `now`. They read a dataset of their own, not
one of the nightly scRNA-seq run's: those are written at `now`, and a load two days
earlier would read no version of them (docs/reference/versions.md, input binding).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from lineage_core.events import (
    DatasetField,
    DObjectRef,
    Event,
    InputLoaded,
    OutputRegistered,
    RunFinished,
    RunStarted,
    Transform,
)
from lineage_core.ids import transform_id

PRODUCER = "lineage demo"
NIGHTS = 3
COLUMNS = ("gene", "mean_counts", "n_cells")
COUNT_COLUMNS = ("cell_id", "gene", "count")


def _transform(name: str) -> Transform:
    return Transform(
        id=transform_id("pipeline", name, "1"), type="pipeline", name=name, version="1"
    )


def scheduled_story(now: datetime) -> list[Event]:
    """Three nightly rewrites of one dataset, the first two days back from `now`, the last
    at `now`, a report in between; the events of each run one second apart."""
    counts = DObjectRef(id=uuid.uuid4(), name="cell_counts", suffix=".parquet")
    summary = DObjectRef(id=uuid.uuid4(), name="expression_summary", suffix=".csv")
    report = DObjectRef(id=uuid.uuid4(), name="weekly_report", suffix=".html")
    events: list[Event] = []

    def envelope(at: datetime) -> dict[str, Any]:
        return {"event_id": uuid.uuid4(), "occurred_at": at, "producer": PRODUCER}

    for night in range(NIGHTS):
        at = now - timedelta(days=NIGHTS - 1 - night)
        run = uuid.uuid4()
        columns = COLUMNS if night < NIGHTS - 1 else (*COLUMNS, "pct_mito")  # schema change
        written = summary.model_copy(
            update={
                "hash": f"demo-{summary.id.hex[:8]}-night-{night + 1}",
                "size": 4096 + night,
                "version": f"{at:%Y-%m-%d}",
            }
        )
        events += [
            RunStarted(
                **envelope(at),
                run_id=run,
                transform=_transform("expression summary"),
                run_name=f"night {night + 1}",
            ),
            InputLoaded(
                **envelope(at + timedelta(seconds=1)),
                run_id=run,
                dobject=counts,
                fields=tuple(DatasetField(name=c) for c in COUNT_COLUMNS),
            ),
            OutputRegistered(
                **envelope(at + timedelta(seconds=2)),
                run_id=run,
                dobject=written,
                fields=tuple(DatasetField(name=c) for c in columns),
            ),
            RunFinished(**envelope(at + timedelta(seconds=3)), run_id=run, status="completed"),
        ]
        if night == 1:  # the report reads the second night's summary, hours later
            at = at + timedelta(hours=6)
            reader = uuid.uuid4()
            events += [
                RunStarted(**envelope(at), run_id=reader, transform=_transform("weekly report")),
                InputLoaded(
                    **envelope(at + timedelta(seconds=1)),
                    run_id=reader,
                    dobject=written,
                ),
                OutputRegistered(
                    **envelope(at + timedelta(seconds=2)),
                    run_id=reader,
                    dobject=report,
                ),
                RunFinished(
                    **envelope(at + timedelta(seconds=3)),
                    run_id=reader,
                    status="completed",
                ),
            ]
    return events
