"""What each SDK call publishes (no NATS, no API)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lineage_core import events
from lineage_core.ids import transform_id
from producer_sdk import operations as ops
from producer_sdk import schema as lns
from producer_sdk.errors import LineageError, NoRunError
from producer_sdk.files import file_facts
from producer_sdk.keys import dobject_id
from producer_sdk.records import DObject
from producer_sdk.rows import dobject_from_api, run_from_api


def new_dobject(
    tmp_path: Path, name: str = "output.bam", data: bytes = b"bam", source: lns.Run | None = None
) -> DObject:
    path = tmp_path / name
    path.write_bytes(data)
    return DObject.from_facts(file_facts(path), source)


def planned(messages: list[ops.Message]) -> list[Any]:
    """The events of a plan (each message's bytes are that event, encoded)."""
    assert all(events.encode(m.event) == m.data for m in messages)
    return [m.event for m in messages]


def types(messages: list[ops.Message]) -> list[str]:
    return [e.event_type for e in planned(messages)]


def test_pipeline_is_registered_once_with_the_derived_id() -> None:
    ledger = ops.Ledger()
    pipeline = lns.Pipeline(v="1", name="10x scRNA-seq nextseq")
    evs = planned(ops.plan_add(pipeline, None, ledger))
    assert [e.event_type for e in evs] == ["TransformRegistered"]
    assert evs[0].transform.id == transform_id("pipeline", "10x scRNA-seq nextseq", "1")
    assert (evs[0].transform.type, evs[0].transform.version) == ("pipeline", "1")
    assert ops.plan_add(pipeline, None, ledger) == []


def test_output_starts_the_run_first(tmp_path: Path) -> None:
    ledger = ops.Ledger()
    run = lns.Run(pipeline=lns.Pipeline(name="Cell Ranger", v="7"), name="sample 1")
    bam = new_dobject(tmp_path)
    evs = planned(ops.plan_add(bam, run, ledger))
    assert [e.event_type for e in evs] == ["TransformRegistered", "RunStarted", "OutputRegistered"]
    started, output = evs[1], evs[2]
    assert started.run_id == output.run_id == run.id
    assert started.run_name == "sample 1"
    assert output.dobject.name == "output"
    assert output.dobject.suffix == ".bam"
    assert output.dobject.id == dobject_id(bam.hash or "")
    assert output.dobject.size == 3
    assert bam.source is run
    assert run.status == "STARTED"
    assert ops.plan_add(bam, run, ledger) == []  # already registered: nothing new
    assert ledger.dobjects_by_hash[bam.hash or ""] is bam


def test_source_wins_over_the_current_run(tmp_path: Path) -> None:
    ledger = ops.Ledger()
    pipeline = lns.Pipeline(name="p")
    source, current = lns.Run(pipeline=pipeline), lns.Run(pipeline=pipeline)
    evs = planned(ops.plan_add(new_dobject(tmp_path, source=source), current, ledger))
    assert evs[-1].run_id == source.id


def test_output_without_any_run_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NoRunError, match=r"ln.Run\(pipeline_name=..., global_context=True\)"):
        ops.plan_add(new_dobject(tmp_path), None, ops.Ledger())


def test_a_dobject_from_the_service_adds_nothing() -> None:
    known = dobject_from_api(
        {
            "id": "7d2c1f44-8a1b-4a55-9e55-0c3c4ad0a3f1",
            "name": "input",
            "suffix": ".fastq.gz",
            "size": "12",
            "hash": "h",
            "createdAt": "2026-01-01T00:00:00+00:00",
        }
    )
    assert known.size == 12
    assert known.created_at is not None
    assert ops.plan_add(known, lns.Run(pipeline=lns.Pipeline(name="p")), ops.Ledger()) == []


def test_input_and_finish(tmp_path: Path) -> None:
    ledger = ops.Ledger()
    run = lns.Run(pipeline=lns.Pipeline(name="p"))
    fastq = new_dobject(tmp_path, "input.fastq.gz")
    evs = ops.plan_input(fastq, run, ledger)
    assert types(evs) == ["TransformRegistered", "RunStarted", "InputLoaded"]
    assert run.id in ledger.active_runs
    finished = planned(ops.plan_finish(run, "failed", "ValueError: boom", ledger))
    assert [e.event_type for e in finished] == ["RunFinished"]
    assert finished[0].status == "failed"
    assert finished[0].error == "ValueError: boom"
    assert run.status == "FAILED"
    assert run.id not in ledger.active_runs
    assert ops.plan_finish(run, "completed", None, ledger) == []
    with pytest.raises(NoRunError):
        ops.plan_input(fastq, None, ledger)


def test_a_run_needs_a_transform() -> None:
    with pytest.raises(LineageError, match="no transform"):
        ops.plan_add(lns.Run(), None, ops.Ledger())


def test_a_run_from_the_service_is_not_started_again() -> None:
    remote = run_from_api(
        {
            "id": "7d2c1f44-8a1b-4a55-9e55-0c3c4ad0a3f1",
            "status": "STARTED",
            "transform": {
                "__typename": "Notebook",
                "type": "NOTEBOOK",
                "name": "nb",
                "version": "2",
                "title": "T",
            },
        }
    )
    assert remote.notebook is not None
    assert remote.notebook.title == "T"
    assert ops.plan_add(remote, None, ops.Ledger()) == []


def test_long_errors_are_cut_to_the_limit() -> None:
    ledger = ops.Ledger()
    run = lns.Run(pipeline=lns.Pipeline(name="p"))
    ops.plan_start(run, ledger)
    finished = planned(ops.plan_finish(run, "failed", "x" * 5000, ledger))[0]
    assert len(finished.error) == 4096
    events.decode(events.encode(finished))  # still a valid event


def test_ill_typed_records_are_refused() -> None:
    with pytest.raises(TypeError, match=r"ln\.add takes"):
        ops.plan_add("output.bam", None, ops.Ledger())
    with pytest.raises(TypeError, match="needs a name"):
        lns.Pipeline(v="1")
