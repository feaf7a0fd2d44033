"""OpenLineage -> lineage events: the mapping, and our models against the official schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphql_api.openlineage.facet_checks import facet_warnings
from graphql_api.openlineage.mapping import map_event, split_dataset_name
from graphql_api.openlineage.models import RunEvent, parse_event, parse_event_time
from lineage_core.ids import dataset_dobject_id

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "openlineage"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} is absent")

EVENT = {
    "eventType": "COMPLETE",
    "eventTime": "2026-11-25T01:02:03.123456789",
    "producer": "https://example.org/producer",
    "run": {"runId": "41fb5137-f0fd-4ee5-ba5c-56f8571d1bd7"},
    "job": {
        "namespace": "airflow",
        "name": "align",
        "facets": {"sourceCodeLocation": {"version": "abc123"}},
    },
    "inputs": [{"namespace": "s3://bucket", "name": "raw/input.fastq.gz"}],
    "outputs": [
        {
            "namespace": "postgres://db",
            "name": "lab.public.reads",
            "outputFacets": {"outputStatistics": {"size": 42}},
        }
    ],
}


def test_a_complete_run_event_maps_to_started_input_output_finished() -> None:
    lineage = map_event(RunEvent.model_validate(EVENT))
    kinds = [e.event_type for e in lineage]
    assert kinds == ["RunStarted", "InputLoaded", "OutputRegistered", "RunFinished"]
    started, loaded, registered, finished = lineage
    assert started.transform.name == "airflow/align"
    assert started.transform.version == "abc123"
    assert loaded.dobject.name == "input"
    assert loaded.dobject.suffix == ".fastq.gz"
    assert loaded.dobject.id == dataset_dobject_id("s3://bucket", "raw/input.fastq.gz")
    assert registered.dobject.name == "lab.public.reads"
    assert registered.dobject.suffix == ""
    assert registered.dobject.size == 42
    assert finished.status == "completed"
    assert started.occurred_at.isoformat() == "2026-11-25T01:02:03.123456+00:00"


def test_mapping_is_deterministic_so_retries_deduplicate() -> None:
    first = [e.event_id for e in map_event(RunEvent.model_validate(EVENT))]
    again = [e.event_id for e in map_event(RunEvent.model_validate(EVENT))]
    later = [
        e.event_id
        for e in map_event(RunEvent.model_validate(EVENT | {"eventTime": "2026-11-25T01:02:04Z"}))
    ]
    assert first == again
    assert len(set(first)) == 4
    assert not set(first) & set(later)


def test_fail_carries_the_error_message() -> None:
    failed = EVENT | {
        "eventType": "FAIL",
        "run": {
            "runId": EVENT["run"]["runId"],  # type: ignore[index]
            "facets": {"errorMessage": {"message": "boom", "programmingLanguage": "python"}},
        },
    }
    finished = map_event(RunEvent.model_validate(failed))[-1]
    assert finished.status == "failed"
    assert finished.error == "boom"


@pytest.mark.parametrize(
    ("namespace", "name", "expected"),
    [
        ("file", "/data/input.fastq.gz", ("input", ".fastq.gz")),
        ("s3://b", "k/output.bam", ("output", ".bam")),
        ("postgres://h", "db.schema.table", ("db.schema.table", "")),
        ("file", "/data/.hidden", (".hidden", "")),
        ("file", "/data/README", ("README", "")),
    ],
)
def test_dataset_names_split_like_files_only_for_files(
    namespace: str, name: str, expected: tuple[str, str]
) -> None:
    assert split_dataset_name(namespace, name) == expected


def test_times_without_offset_are_utc_and_nanoseconds_are_cut() -> None:
    when, had_offset = parse_event_time("2020-12-28T19:51:01.641499123")
    assert not had_offset
    assert when.utcoffset() is not None
    assert when.microsecond == 641499


def test_a_broken_standard_facet_is_a_warning_not_a_rejection() -> None:
    event = parse_event(
        EVENT
        | {
            "job": {
                "namespace": "a",
                "name": "b",
                "facets": {"ownership": {"owners": [{"no-name": "x"}]}},
            }
        }
    )
    assert any("job.facets.ownership" in w for w in facet_warnings(event))
    assert facet_warnings(parse_event(EVENT)) == []


@needs_shared
def test_our_models_agree_with_the_official_json_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from referencing import Registry, Resource

    spec = json.loads((SHARED / "spec" / "OpenLineage.json").read_text())
    registry = Registry().with_resource(spec["$id"], Resource.from_contents(spec))
    validator = jsonschema.Draft202012Validator(spec, registry=registry)
    examples = [
        *sorted((SHARED / "examples" / "valid").glob("*.json")),
        SHARED / "examples" / "invalid" / "event_no_run_id.json",
    ]
    verdicts = []
    for path in examples:
        document = json.loads(path.read_text())
        official = validator.is_valid(document)
        verdicts.append(official)
        try:
            parse_event(document)
            ours = True
        except ValueError:
            ours = False
        assert ours == official, path.name
    assert verdicts.count(False) == 1
    assert len(verdicts) > 2
