"""OpenLineage runs rewriting datasets give versions (docs/reference/versions.md).

The 114 events dbt-ol sent for a jaffle-shop project (a `run`, then a `build` that
rewrote every model, and a structured-logs run into another database), mapped by the
ingest and applied by the projector's batch transaction, in order and shuffled: every
model table of the first database has two versions, each produced by its own run, and
the current one is the build's. Sources no run wrote get their fields from the inputs'
schema facets. Three nightly runs rewriting one table give three versions.
"""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from lineage_core.events import Event
from lineage_core.ids import dataset_dobject_id, dobject_version_id
from openlineage_api.mapping import map_event
from openlineage_api.models import RunEvent, parse_event
from projector.store import asyncpg_dsn
from tests.support.projector import apply_batches, dump_conn

pytestmark = pytest.mark.integration

DBT = Path(__file__).parents[1] / "fixtures" / "openlineage" / "jaffle-dbt-ol-1.54.jsonl"
DB = "duckdb:///data/jaffle/jaffle.duckdb"
MODELS = ("stg_customers", "stg_orders", "stg_payments", "stg_order_payments", "orders")
SEEDS = ("raw_customers", "raw_orders", "raw_payments")


def _lineage(documents: list[dict[str, Any]]) -> list[list[Event]]:
    """Each OpenLineage event's lineage events, as the ingest publishes them."""
    out = []
    for doc in documents:
        event = parse_event(doc)
        assert isinstance(event, RunEvent)
        out.append(map_event(event))
    return out


def _run_ids(documents: list[dict[str, Any]], job_name: str) -> set[uuid.UUID]:
    return {uuid.UUID(d["run"]["runId"]) for d in documents if d["job"]["name"] == job_name}


async def _project(batches: list[list[Event]], database_url: str) -> dict[str, Any]:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    tx = conn.transaction()
    await tx.start()
    try:
        await apply_batches(conn, batches)
        dumped = await dump_conn(conn)
        dumped["versions"] = [
            dict(r)
            for r in await conn.fetch(
                "SELECT d.name AS table, v.id, v.run_id, v.created_at, d.source_run_id, "
                "d.current_version_id FROM projection.dobject_versions v "
                "JOIN projection.dobjects d ON d.id = v.dobject_id ORDER BY d.name, v.created_at"
            )
        ]
        dumped["fields"] = {  # type: ignore[assignment]
            r["name"]: json.loads(r["fields"] or "null")
            for r in await conn.fetch("SELECT name, fields::text FROM projection.dobjects")
        }
    finally:
        await tx.rollback()
        await conn.close()
    # a write's stream sequence is where it was delivered; nothing else may depend on it
    dumped["dobject_writes"] = sorted(
        tuple(c for c in row if c[0] != "sequence") for row in dumped["dobject_writes"]
    )
    return dumped


async def test_dbt_run_then_build_gives_every_model_two_versions(database_url: str) -> None:
    documents = [json.loads(line) for line in DBT.read_text().splitlines()]
    assert len(documents) == 114
    per_document = _lineage(documents)
    in_order = await _project(per_document, database_url)

    by_table: dict[str, list[dict[str, Any]]] = {}
    for v in in_order["versions"]:
        by_table.setdefault(v["table"], []).append(v)
    for model in (*MODELS, "customers"):
        table = f"jaffle.main.{model}"
        versions = by_table[table]
        first_run = _run_ids(documents, f"jaffle.main.jaffle.{model}")
        build_run = _run_ids(documents, f"jaffle.main.jaffle.{model}.build.run")
        assert [{v["run_id"]} for v in versions] == [first_run, build_run], table
        dobject = dataset_dobject_id(DB, table)
        assert [v["id"] for v in versions] == [
            dobject_version_id(dobject, f"run:{r}") for r in (*first_run, *build_run)
        ]
        # the build wrote last: its version is current, its run the source
        assert {versions[-1]["source_run_id"]} == build_run
        assert versions[-1]["current_version_id"] == versions[-1]["id"]
    # the structured-logs run wrote its database once
    assert len(by_table["jaffle_sl.main.customers"]) == 1
    # dbt sources: no run wrote them, their schema came with the inputs
    for seed in SEEDS:
        assert f"jaffle.main.{seed}" not in by_table
        assert [f["name"] for f in in_order["fields"][f"jaffle.main.{seed}"]][:1] == ["id"]

    shuffled = [event for events in per_document for event in events]
    for seed in range(3):  # type: ignore[assignment]
        random.Random(seed).shuffle(shuffled)
        size = 1 + seed * 7  # type: ignore[operator]
        batches = [shuffled[i : i + size] for i in range(0, len(shuffled), size)]
        assert await _project(batches, database_url) == in_order


def _nightly(night: int, run_id: uuid.UUID, label: str | None) -> list[dict[str, Any]]:
    table: dict[str, Any] = {"namespace": "postgres://warehouse", "name": "analytics.customers"}
    if label is not None:
        table["facets"] = {"version": {"datasetVersion": label}}
    source = {"namespace": "postgres://warehouse", "name": "raw.customers"}
    return [
        {
            "eventType": kind,
            "eventTime": f"2026-11-0{night + 1}T02:00:0{second}+00:00",
            "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/integration/dbt",
            "run": {"runId": str(run_id)},
            "job": {"namespace": "dbt", "name": "analytics.customers"},
            "inputs": [source],
            "outputs": [table],
        }
        for second, kind in enumerate(("START", "COMPLETE"))
    ]


@pytest.mark.parametrize("labelled", [False, True])
async def test_three_nightly_runs_rewriting_a_table_give_three_versions(
    database_url: str, labelled: bool
) -> None:
    runs = [uuid.UUID(int=0x4E1 + night) for night in range(3)]
    documents = [
        doc
        for night, run in enumerate(runs)
        for doc in _nightly(night, run, f"snapshot-{night}" if labelled else None)
    ]
    events = [e for batch in _lineage(documents) for e in batch]
    random.Random(7).shuffle(events)
    projected = await _project([[e] for e in events], database_url)
    versions = [v for v in projected["versions"] if v["table"] == "analytics.customers"]
    assert [v["run_id"] for v in versions] == runs
    assert {v["source_run_id"] for v in versions} == {runs[-1]}
    table = dataset_dobject_id("postgres://warehouse", "analytics.customers")
    keys = [f"label:snapshot-{n}" if labelled else f"run:{r}" for n, r in enumerate(runs)]
    assert [v["id"] for v in versions] == [dobject_version_id(table, k) for k in keys]
    # START and COMPLETE of a run both register its output: one version, two writes
    assert len(projected["dobject_writes"]) == 6
