"""The wire format (docs/reference/events.md): golden events round-trip byte for byte;
bad input is InvalidEvent."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from lineage_core import events, subjects
from lineage_core.ids import transform_id

GOLDEN = Path(__file__).parent.parent / "golden"
GOLDEN_FILES = sorted(GOLDEN.glob("v*/*.json"))


@pytest.mark.parametrize("version", ["v1", "v2", "v3"])
def test_every_event_type_has_a_golden_file(version: str) -> None:
    names = {p.stem for p in GOLDEN.glob(f"{version}/*.json")}
    assert names == set(events.EVENT_TYPES)


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_golden_round_trips_byte_for_byte(path: Path) -> None:
    """A current-version event re-encodes to its bytes; an older one to the same bytes
    upcast (version 2 only added optional fields, so only the version number changes)."""
    raw = path.read_bytes().rstrip(b"\n")
    event = events.decode(raw)
    assert event.event_type == path.stem
    assert event.schema_version == events.CURRENT_SCHEMA_VERSION
    version = int(path.parent.name.removeprefix("v"))
    expected = raw.replace(
        b'"schema_version":%d' % version, b'"schema_version":%d' % events.CURRENT_SCHEMA_VERSION
    )
    assert events.encode(event) == expected


def test_v2_golden_values_decode_to_the_fields_they_say() -> None:
    started = events.decode((GOLDEN / "v2" / "RunStarted.json").read_bytes())
    assert isinstance(started, events.RunStarted)
    assert started.parent_run_id == uuid.UUID("0b7d6a4e-2f3c-4a1b-8c9d-0e1f2a3b4c5d")
    output = events.decode((GOLDEN / "v2" / "OutputRegistered.json").read_bytes())
    assert isinstance(output, events.OutputRegistered)
    assert [f.name for f in output.fields or ()] == ["read_id", "address.city", "quality"]
    assert output.fields is not None
    assert output.fields[2].type is None
    lineage = {c.field: c.inputs for c in output.column_lineage or ()}
    assert [i.field for i in lineage["quality"]] == ["phred", "calibration"]
    assert lineage["read_id"][0].transformation == "DIRECT/IDENTITY"


def test_v1_events_decode_without_the_v2_fields() -> None:
    started = events.decode((GOLDEN / "v1" / "RunStarted.json").read_bytes())
    output = events.decode((GOLDEN / "v1" / "OutputRegistered.json").read_bytes())
    assert isinstance(started, events.RunStarted)
    assert started.parent_run_id is None
    assert isinstance(output, events.OutputRegistered)
    assert output.fields is None
    assert output.column_lineage is None


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("RunStarted", "parent_run_id"),
        ("OutputRegistered", "fields"),
        ("OutputRegistered", "column_lineage"),
    ],
)
def test_a_v1_event_carrying_a_v2_field_is_invalid(name: str, field: str) -> None:
    v2 = json.loads((GOLDEN / "v2" / f"{name}.json").read_bytes())
    data = _golden(name) | {field: v2[field]}
    assert field in _bad(data)
    assert "schema_version 1" in _bad(data)
    assert field in _bad(data | {field: None})  # present at all, even null


@pytest.mark.parametrize(
    "name", ["TransformRegistered", "RunStarted", "InputLoaded", "RunFinished"]
)
def test_v2_fields_on_other_event_types_are_invalid(name: str) -> None:
    data = _golden_v2(name) | {"fields": [{"name": "a"}]}
    assert "extra" in _bad(data).lower()


def _golden_v2(name: str) -> dict:  # type: ignore[type-arg]
    return dict(json.loads((GOLDEN / "v2" / f"{name}.json").read_bytes()))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"fields": [{"name": "a"}, {"name": "a"}]}, "twice"),
        ({"fields": [{"name": ""}]}, "fields"),
        ({"fields": [{"name": "a", "type": "t" * 257}]}, "fields"),
        ({"fields": [{"name": f"f{i}"} for i in range(events.MAX_FIELDS + 1)]}, "fields"),
        ({"column_lineage": [{"field": "a", "inputs": []}]}, "inputs"),
        ({"column_lineage": [{"field": "a"}]}, "inputs"),
        ({"column_lineage": [{"field": "a", "inputs": [{"field": "x"}]}]}, "dobject_id"),
        (
            {"column_lineage": [{"field": "a", "inputs": [{"dobject_id": "nope", "field": "x"}]}]},
            "dobject_id",
        ),
        (
            {
                "column_lineage": [
                    {
                        "field": "a",
                        "inputs": [
                            {"dobject_id": str(uuid.UUID(int=1)), "field": "x"},
                            {"dobject_id": str(uuid.UUID(int=1)), "field": "x"},
                        ],
                    }
                ]
            },
            "twice",
        ),
        (
            {
                "column_lineage": [
                    {"field": "a", "inputs": [{"dobject_id": str(uuid.UUID(int=1)), "field": "x"}]},
                    {"field": "a", "inputs": [{"dobject_id": str(uuid.UUID(int=1)), "field": "y"}]},
                ]
            },
            "twice",
        ),
        ({"column_lineage": {"a": "b"}}, "column_lineage"),
    ],
)
def test_malformed_v2_fields_are_invalid(change: dict, reason: str) -> None:  # type: ignore[type-arg]
    assert reason in _bad(_golden_v2("OutputRegistered") | change)


def test_encode_checked_refuses_an_event_over_the_message_limit() -> None:
    base = events.decode((GOLDEN / "v2" / "OutputRegistered.json").read_bytes())
    assert isinstance(base, events.OutputRegistered)
    fields = tuple(events.DatasetField(name=f"column_{i:05d}") for i in range(4000))
    big = base.model_copy(update={"fields": fields})
    with pytest.raises(events.InvalidEvent, match="message limit"):
        events.encode_checked(big)
    assert events.encode_checked(base) == events.encode(base)


def test_golden_values_decode_to_the_fields_they_say() -> None:
    started = events.decode((GOLDEN / "v1" / "RunStarted.json").read_bytes())
    assert isinstance(started, events.RunStarted)
    assert started.transform.name == "Cell Ranger"
    assert started.transform.version == "7"
    assert started.run_name == "sample A"
    assert started.occurred_at.utcoffset() is not None
    assert started.occurred_at.utcoffset().total_seconds() == 7200
    output = events.decode((GOLDEN / "v1" / "OutputRegistered.json").read_bytes())
    assert isinstance(output, events.OutputRegistered)
    assert output.dobject.size == 9876543210  # beyond 32 bits
    assert output.dobject.suffix == ".bam"


def test_each_event_type_has_its_subject() -> None:
    assert subjects.subject_for("OutputRegistered") == "lineage.output.registered"
    assert subjects.dlq_subject_for("lineage.run.started") == "lineage_dlq.run.started"
    assert set(subjects.SUBJECT_BY_EVENT_TYPE) == set(events.EVENT_TYPES)


def _golden(name: str) -> dict:  # type: ignore[type-arg]
    return dict(json.loads((GOLDEN / "v1" / f"{name}.json").read_bytes()))


def _bad(data: dict) -> str:  # type: ignore[type-arg]
    with pytest.raises(events.InvalidEvent) as info:
        events.decode(json.dumps(data).encode())
    return info.value.reason


def test_timestamp_without_offset_is_invalid() -> None:
    data = _golden("RunFinished") | {"occurred_at": "2026-11-25T01:30:05"}
    assert "occurred_at" in _bad(data)


def test_unknown_field_is_invalid() -> None:
    assert "extra" in _bad(_golden("RunFinished") | {"colour": "red"}).lower()


def test_unknown_event_type_is_invalid() -> None:
    assert "event_type" in _bad(_golden("RunFinished") | {"event_type": "RunPaused"})


def test_schema_version_from_the_future_is_invalid() -> None:
    assert "newer" in _bad(
        _golden("RunFinished") | {"schema_version": events.CURRENT_SCHEMA_VERSION + 1}
    )


@pytest.mark.parametrize("version", [None, 0, 2.0, "2", True])
def test_schema_version_is_a_required_integer(version: object) -> None:
    data = _golden_v2("RunFinished")
    if version is None:
        del data["schema_version"]
    else:
        data["schema_version"] = version
    assert "schema_version" in _bad(data)


def test_run_event_without_run_id_is_invalid() -> None:
    data = _golden("InputLoaded")
    del data["run_id"]
    assert "run_id" in _bad(data)


def test_transform_id_must_be_derived_from_type_name_version() -> None:
    data = _golden("TransformRegistered")
    data["transform"]["id"] = str(uuid.uuid4())
    assert "uuid5" in _bad(data)
    assert transform_id("notebook", "iris", "1") == uuid.UUID(
        _golden("TransformRegistered")["transform"]["id"]
    )


@pytest.mark.parametrize(("field", "limit"), [("name", 512), ("suffix", 64), ("uri", 4096)])
def test_dobject_limits(field: str, limit: int) -> None:
    data = _golden("InputLoaded")
    data["dobject"][field] = "x" * limit
    events.decode(json.dumps(data).encode())  # at the limit: fine
    data["dobject"][field] = "x" * (limit + 1)
    assert field in _bad(data)


def test_oversized_message_is_invalid() -> None:
    data = _golden("RunFinished") | {"error": "e" * 4096, "producer": "p" * 256}
    events.decode(json.dumps(data).encode())
    with pytest.raises(events.InvalidEvent, match="exceeds"):
        events.decode(b" " * (64 * 1024) + json.dumps(data).encode())


@pytest.mark.parametrize("raw", [b"", b"not json", b"\xff\xfe", b"[1,2]", b"null"])
def test_undecodable_bytes_are_invalid(raw: bytes) -> None:
    with pytest.raises(events.InvalidEvent):
        events.decode(raw)


def test_upcaster_chain_brings_old_versions_to_current(monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulate a v3 that renamed `producer` to `source`; v1 events are upcast, never rejected.
    def v1_to_v2(data: dict) -> dict:  # type: ignore[type-arg]
        data = dict(data)
        data["source"] = data.pop("producer")
        return data

    monkeypatch.setitem(events.UPCASTERS, 2, v1_to_v2)
    upcast = events.upcast(_golden("RunFinished"), current=3)
    assert upcast["schema_version"] == 3
    assert upcast["source"].startswith("producer_sdk/")
    assert "producer" not in upcast


def test_models_are_frozen() -> None:
    event = events.decode((GOLDEN / "v1" / "RunFinished.json").read_bytes())
    with pytest.raises(Exception, match="frozen"):
        event.status = "completed"


def _golden_v(version: int, name: str) -> dict:  # type: ignore[type-arg]
    return dict(json.loads((GOLDEN / f"v{version}" / f"{name}.json").read_bytes()))


def test_v3_golden_values_decode_to_the_fields_they_say() -> None:
    loaded = events.decode((GOLDEN / "v3" / "InputLoaded.json").read_bytes())
    assert isinstance(loaded, events.InputLoaded)
    assert loaded.dobject.version == "2026-11-24"
    assert [(f.name, f.type) for f in loaded.fields or ()] == [("id", "string"), ("phred", "int")]
    output = events.decode((GOLDEN / "v3" / "OutputRegistered.json").read_bytes())
    assert isinstance(output, events.OutputRegistered)
    assert output.dobject.version == "nightly-2026-11-25"


@pytest.mark.parametrize("old", [1, 2])
@pytest.mark.parametrize("name", ["InputLoaded", "OutputRegistered"])
def test_an_older_event_carrying_a_dobject_version_is_invalid(old: int, name: str) -> None:
    data = _golden_v(old, name)
    data["dobject"] = data["dobject"] | {"version": "v1"}
    assert "dobject.version" in _bad(data)
    assert "schema_version 3" in _bad(data)
    data["dobject"]["version"] = None
    assert "dobject.version" in _bad(data)  # present at all, even null


@pytest.mark.parametrize("old", [1, 2])
def test_an_older_input_carrying_fields_is_invalid(old: int) -> None:
    data = _golden_v(old, "InputLoaded") | {"fields": [{"name": "a"}]}
    assert "fields" in _bad(data)
    assert "schema_version 3" in _bad(data)


@pytest.mark.parametrize(
    ("name", "change", "reason"),
    [
        ("InputLoaded", {"fields": [{"name": "a"}, {"name": "a"}]}, "twice"),
        ("InputLoaded", {"column_lineage": []}, "column_lineage"),
        ("OutputRegistered", {"dobject": {"version": "v" * 257}}, "version"),
        ("InputLoaded", {"dobject": {"version": 3}}, "version"),
    ],
)
def test_malformed_v3_fields_are_invalid(name: str, change: dict, reason: str) -> None:  # type: ignore[type-arg]
    data = _golden_v(3, name)
    if "dobject" in change:
        change = {"dobject": data["dobject"] | change["dobject"]}
    assert reason in _bad(data | change)
