"""The second part of `lineage demo`: a nightly run that goes on from the seed program's
output.bam, so each lineage question (docs/questions/) has something to show.

Published as version 2 wire events (lineage_core.events): a parent run with child runs,
dobjects with schemas (`fields`) and column lineage, a transform re-run at a new
version, and a failed run. Every demo run tells it again with new runs and dobjects,
named so that the seed program's own look-ups (`name="input"`, `output.bam`) still find
exactly one match.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import nats

from lineage_cli.demo_versions import scheduled_story
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
    Transform,
)
from lineage_core.ids import transform_id
from lineage_core.nats_auth import connect_options
from lineage_core.settings import Settings
from lineage_core.streams import ensure_streams, publish_in_order

PRODUCER = "lineage demo"
_OUTPUT_BAM = """{ dobjects(filter: {name: "output", suffix: ".bam"}, first: 1) {
  nodes { id name suffix size hash } } }"""


@dataclass
class _Story:
    """Events one second apart from `start`."""

    start: datetime
    events: list[Event] = field(default_factory=list)

    def _envelope(self) -> dict[str, Any]:
        at = self.start + timedelta(seconds=len(self.events))
        return {"event_id": uuid.uuid4(), "occurred_at": at, "producer": PRODUCER}

    def start_run(self, name: str, version: str, parent: uuid.UUID | None = None) -> uuid.UUID:
        run = uuid.uuid4()
        transform = Transform(
            id=transform_id("pipeline", name, version), type="pipeline", name=name, version=version
        )
        self.events.append(
            RunStarted(**self._envelope(), run_id=run, transform=transform, parent_run_id=parent)
        )
        return run

    def load(self, run: uuid.UUID, dobject: DObjectRef) -> None:
        self.events.append(InputLoaded(**self._envelope(), run_id=run, dobject=dobject))

    def output(
        self,
        run: uuid.UUID,
        dobject: DObjectRef,
        fields: list[tuple[str, str]] | None = None,
        columns: dict[str, list[tuple[DObjectRef, str, str]]] | None = None,
    ) -> None:
        lineage = None
        if columns:
            lineage = tuple(
                ColumnLineage(
                    field=target,
                    inputs=tuple(
                        ColumnInput(dobject_id=d.id, field=f, transformation=t)
                        for d, f, t in sources
                    ),
                )
                for target, sources in columns.items()
            )
        self.events.append(
            OutputRegistered(
                **self._envelope(),
                run_id=run,
                dobject=dobject,
                fields=tuple(DatasetField(name=n, type=t) for n, t in fields) if fields else None,
                column_lineage=lineage,
            )
        )

    def finish(self, run: uuid.UUID, status: str = "completed", error: str | None = None) -> None:
        self.events.append(
            RunFinished(**self._envelope(), run_id=run, status=status, error=error)  # type: ignore[arg-type]
        )


def _file(name: str, suffix: str) -> DObjectRef:
    return DObjectRef(id=uuid.uuid4(), name=name, suffix=suffix)


def nightly_story(output_bam: DObjectRef, start: datetime) -> list[Event]:
    """The nightly run and its children, starting at `start`."""
    s = _Story(start)
    nightly = s.start_run("nightly scRNA-seq", "1")
    qc = s.start_run("Scanpy QC", "1", parent=nightly)
    s.load(qc, output_bam)
    metrics = _file("qc_metrics", ".parquet")
    qc_fields = [
        ("cell_id", "string"),
        ("n_genes", "int64"),
        ("total_counts", "int64"),
        ("pct_mito", "float64"),
    ]
    s.output(qc, metrics, qc_fields)
    s.finish(qc)
    leiden = s.start_run("Leiden clustering", "1", parent=nightly)
    s.load(leiden, metrics)
    clusters = _file("clusters", ".parquet")
    s.output(
        leiden,
        clusters,
        [("cell_id", "string"), ("cluster", "int64")],
        {
            "cell_id": [(metrics, "cell_id", "DIRECT/IDENTITY")],
            "cluster": [
                (metrics, "n_genes", "DIRECT/TRANSFORMATION"),
                (metrics, "total_counts", "DIRECT/TRANSFORMATION"),
                (metrics, "pct_mito", "INDIRECT/FILTER"),
            ],
        },
    )
    s.finish(leiden)
    annotate = s.start_run("cell type annotation", "1", parent=nightly)
    s.load(annotate, clusters)
    cell_types = _file("cell_types", ".csv")
    s.output(
        annotate,
        cell_types,
        [("cell_id", "string"), ("cell_type", "string")],
        {
            "cell_id": [(clusters, "cell_id", "DIRECT/IDENTITY")],
            "cell_type": [(clusters, "cluster", "DIRECT/TRANSFORMATION")],
        },
    )
    s.finish(annotate, "failed", "marker gene list missing for cluster 7")
    # the QC re-run at a new version, with the mitochondrial gene list it lacked
    qc2 = s.start_run("Scanpy QC", "2", parent=nightly)
    s.load(qc2, output_bam)
    mito = _file("mito_genes", ".txt")
    s.load(qc2, mito)
    s.output(qc2, _file("qc_metrics", ".parquet"), qc_fields)
    s.output(qc2, _file("qc_report", ".html"))
    s.finish(qc2)
    s.finish(nightly, "failed", "cell type annotation failed")
    return s.events


async def _publish(settings: Settings, events: list[Event]) -> int:
    nc = await nats.connect(
        settings.nats_servers(),
        connect_timeout=5,
        max_reconnect_attempts=0,
        **connect_options(settings.resolved_nats_creds()),
    )
    try:
        js = nc.jetstream()
        await ensure_streams(js)
        return await publish_in_order(js, events)
    finally:
        await nc.close()


def tell_nightly_story(settings: Settings) -> str:
    """Publish the nightly run after the seed program's; a line saying what it added."""
    headers = {"Authorization": f"Bearer {settings.api_token}"} if settings.api_token else {}
    answer = httpx.post(
        f"{settings.resolved_api_url()}/graphql",
        json={"query": _OUTPUT_BAM},
        headers=headers,
        timeout=30,
    ).json()
    [bam] = answer["data"]["dobjects"]["nodes"]
    output_bam = DObjectRef(
        id=uuid.UUID(bam["id"]),
        name=bam["name"],
        suffix=bam["suffix"],
        size=bam["size"],
        hash=bam["hash"],
    )
    now = datetime.now(UTC)
    events = nightly_story(output_bam, now)
    rewrites = scheduled_story(now + timedelta(minutes=1))
    asyncio.run(_publish(settings, events + rewrites))
    nightly = next(e.run_id for e in events if isinstance(e, RunStarted))
    summary = next(e.dobject for e in rewrites if isinstance(e, OutputRegistered))
    return (
        f"nightly run {nightly} went on from output.bam: Scanpy QC v1 and v2, Leiden "
        "clustering, cell type annotation (failed); expression_summary.csv "
        f"({summary.id}) was rewritten by three nightly runs, the last with a new column, "
        "and weekly_report.html, which read the second, is stale; see docs/questions/ "
        "for what to ask"
    )
