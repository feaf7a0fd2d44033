"""OpenLineage -> lineage events: the mapping, and our models against the official schema."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from lineage_core import events
from lineage_core.ids import dataset_dobject_id
from openlineage_api.facet_checks import facet_warnings
from openlineage_api.mapping import MappingError, map_event, split_dataset_name
from openlineage_api.models import RunEvent, parse_event, parse_event_time

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
            "runId": EVENT["run"]["runId"],
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


RUN_EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


@pytest.mark.parametrize(
    "extra",
    [{}, {"schemaURL": RUN_EVENT_SCHEMA}],
    ids=["eventType", "eventType and RunEvent schemaURL"],
)
def test_a_document_with_event_type_is_a_run_event_and_needs_run(extra: dict[str, str]) -> None:
    document = {k: v for k, v in EVENT.items() if k != "run"} | extra
    with pytest.raises(ValidationError) as info:
        parse_event(document)
    assert [e["loc"] for e in info.value.errors()] == [("run",)]


def test_a_run_event_schema_url_without_event_type_still_needs_run() -> None:
    document = {k: v for k, v in EVENT.items() if k not in ("run", "eventType")}
    with pytest.raises(ValidationError) as info:
        parse_event(document | {"schemaURL": RUN_EVENT_SCHEMA})
    assert [e["loc"] for e in info.value.errors()] == [("run",)]


def test_a_schema_url_naming_job_event_decides_even_with_event_type() -> None:
    # Marquez's own test data sends such a JobEvent (spec 1's `definitions`).
    document = {k: v for k, v in EVENT.items() if k != "run"} | {
        "schemaURL": "https://openlineage.io/spec/1-0-1/OpenLineage.json#/definitions/JobEvent"
    }
    assert type(parse_event(document)).__name__ == "JobEvent"


# --- facets of schema version 2: parent run, schema, column lineage ---------------------

PARENT_RUN = "3f5e83fa-3480-44ff-99c5-ff943904e5e8"
FACET_BASE = {"_producer": "https://example.org/producer"}
PARENT_FACET = FACET_BASE | {
    "_schemaURL": "https://openlineage.io/spec/facets/1-1-0/ParentRunFacet.json#/$defs/ParentRunFacet",
    "run": {"runId": PARENT_RUN},
    "job": {"namespace": "airflow", "name": "nightly"},
}
SCHEMA_FACET = FACET_BASE | {
    "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
    "fields": [
        {"name": "id", "type": "BIGINT", "description": "the customer"},
        {
            "name": "address",
            "type": "STRUCT",
            "fields": [
                {"name": "city", "type": "VARCHAR"},
                {"name": "geo", "type": "STRUCT", "fields": [{"name": "lat", "type": "DOUBLE"}]},
            ],
        },
        {"name": "note"},
    ],
}
COLUMN_LINEAGE_FACET = FACET_BASE | {
    "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet",
    "fields": {
        "id": {
            "inputFields": [
                {
                    "namespace": "s3://bucket",
                    "name": "raw/input.fastq.gz",
                    "field": "customer_id",
                    "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}],
                }
            ]
        },
        "address.city": {
            "inputFields": [
                {
                    "namespace": "s3://bucket",
                    "name": "raw/input.fastq.gz",
                    "field": "city",
                    "transformations": [
                        {"type": "DIRECT", "subtype": "TRANSFORMATION", "description": "upper"},
                        {"type": "INDIRECT", "subtype": "FILTER"},
                    ],
                },
                {"namespace": "postgres://db", "name": "geo.cities", "field": "name"},
                {
                    "namespace": "s3://bucket",
                    "name": "raw/input.fastq.gz",
                    "field": "city",
                    "transformations": [{"type": "INDIRECT"}],
                },
            ]
        },
        "unfed": {"inputFields": []},
    },
    "dataset": [{"namespace": "s3://bucket", "name": "raw/input.fastq.gz", "field": "region"}],
}


def _v2_event() -> dict[str, object]:
    output = dict(EVENT["outputs"][0])
    output["facets"] = {"schema": SCHEMA_FACET, "columnLineage": COLUMN_LINEAGE_FACET}
    return EVENT | {  # type: ignore[return-value]
        "run": {"runId": EVENT["run"]["runId"], "facets": {"parent": PARENT_FACET}},
        "outputs": [output],
    }


def test_parent_run_facet_gives_the_parent_run_id_as_the_parent_own_events_map_it() -> None:
    started = map_event(RunEvent.model_validate(_v2_event()))[0]
    assert isinstance(started, events.RunStarted)
    assert started.parent_run_id == uuid.UUID(PARENT_RUN)
    parent_event = EVENT | {"run": {"runId": PARENT_RUN}}
    parents_own = map_event(RunEvent.model_validate(parent_event))[0]
    assert isinstance(parents_own, events.RunStarted)
    assert parents_own.run_id == started.parent_run_id  # parent and child meet


def test_schema_facet_gives_fields_flattened_with_dots_in_order() -> None:
    output = next(
        e
        for e in map_event(RunEvent.model_validate(_v2_event()))
        if isinstance(e, events.OutputRegistered)
    )
    assert [(f.name, f.type, f.description) for f in output.fields or ()] == [
        ("id", "BIGINT", "the customer"),
        ("address", "STRUCT", None),
        ("address.city", "VARCHAR", None),
        ("address.geo", "STRUCT", None),
        ("address.geo.lat", "DOUBLE", None),
        ("note", None, None),
    ]


def test_column_lineage_facet_maps_input_fields_to_dobject_ids_like_input_datasets() -> None:
    lineage = map_event(RunEvent.model_validate(_v2_event()))
    output = next(e for e in lineage if isinstance(e, events.OutputRegistered))
    loaded = next(e for e in lineage if isinstance(e, events.InputLoaded))
    by_field = {c.field: c.inputs for c in output.column_lineage or ()}
    assert set(by_field) == {"id", "address.city"}  # "unfed" names no input
    (identity,) = by_field["id"]
    assert identity.dobject_id == loaded.dobject.id  # the same dataset, the same dobject
    assert (identity.field, identity.transformation) == ("customer_id", "DIRECT/IDENTITY")
    city, geo = by_field["address.city"]
    assert city.dobject_id == loaded.dobject.id
    assert city.transformation == "DIRECT/TRANSFORMATION, INDIRECT/FILTER, INDIRECT"
    assert geo.dobject_id == dataset_dobject_id("postgres://db", "geo.cities")
    assert (geo.field, geo.transformation) == ("name", None)
    assert "region" not in str(output.column_lineage)  # dataset-level: raw document only


def test_malformed_facets_map_to_nothing_and_are_flagged() -> None:
    document = _v2_event()
    output = dict(document["outputs"][0])
    output["facets"] = {"schema": {"fields": "id"}, "columnLineage": {"fields": ["id"]}}
    document = document | {
        "outputs": [output],
        "run": {"runId": EVENT["run"]["runId"], "facets": {"parent": {"run": {"runId": "x"}}}},
    }
    event = RunEvent.model_validate(document)
    lineage = map_event(event)
    started = lineage[0]
    mapped = next(e for e in lineage if isinstance(e, events.OutputRegistered))
    assert isinstance(started, events.RunStarted)
    assert started.parent_run_id is None
    assert (mapped.fields, mapped.column_lineage) == (None, None)
    warned = " ".join(facet_warnings(event))
    for facet in (
        "run.facets.parent",
        "outputs[0].facets.schema",
        "outputs[0].facets.columnLineage",
    ):
        assert facet in warned


def test_a_schema_beyond_the_message_limit_is_a_mapping_error() -> None:
    document = _v2_event()
    output = dict(document["outputs"][0])
    fields = [{"name": f"column_{i:05d}", "type": "VARCHAR" * 10} for i in range(2000)]
    output["facets"] = {"schema": FACET_BASE | {"fields": fields}}
    with pytest.raises(MappingError, match="message limit"):
        map_event(RunEvent.model_validate(document | {"outputs": [output]}))


@needs_shared
@pytest.mark.parametrize(
    ("facet", "schema", "definition"),
    [
        (PARENT_FACET, "ParentRunFacet.json", "ParentRunFacet"),
        (SCHEMA_FACET, "SchemaDatasetFacet.json", "SchemaDatasetFacet"),
        (COLUMN_LINEAGE_FACET, "ColumnLineageDatasetFacet.json", "ColumnLineageDatasetFacet"),
    ],
)
def test_the_hand_written_facets_follow_the_spec(
    facet: dict[str, object], schema: str, definition: str
) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from referencing import Registry, Resource

    core = json.loads((SHARED / "spec" / "OpenLineage.json").read_text())
    spec = json.loads((SHARED / "spec" / "facets" / schema).read_text())
    registry = Registry().with_resources(
        [(core["$id"], Resource.from_contents(core)), (spec["$id"], Resource.from_contents(spec))]
    )
    validator = jsonschema.Draft202012Validator(
        {"$ref": f"{spec['$id']}#/$defs/{definition}"}, registry=registry
    )
    assert list(validator.iter_errors(facet)) == []
    assert not validator.is_valid(facet | {"_producer": 7})  # the check can fail
