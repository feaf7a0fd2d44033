"""Wire-format contract: golden events round-trip byte for byte; bad input is InvalidEvent."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from lineage_core import events, subjects
from lineage_core.ids import transform_id

GOLDEN = Path(__file__).parent.parent / "golden"
GOLDEN_FILES = sorted(GOLDEN.glob("v*/*.json"))


def test_every_event_type_has_a_golden_file() -> None:
    names = {p.stem for p in GOLDEN.glob("v1/*.json")}
    assert names == set(events.EVENT_TYPES)


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_golden_round_trips_byte_for_byte(path: Path) -> None:
    raw = path.read_bytes().rstrip(b"\n")
    event = events.decode(raw)
    assert event.event_type == path.stem
    assert events.encode(event) == raw


def test_golden_values_decode_to_the_fields_they_say() -> None:
    started = events.decode((GOLDEN / "v1" / "RunStarted.json").read_bytes())
    assert isinstance(started, events.RunStarted)
    assert started.transform.name == "Cell Ranger"
    assert started.transform.version == "7"
    assert started.run_name == "sample A"
    assert started.occurred_at.utcoffset() is not None
    assert started.occurred_at.utcoffset().total_seconds() == 7200  # type: ignore[union-attr]
    output = events.decode((GOLDEN / "v1" / "OutputRegistered.json").read_bytes())
    assert isinstance(output, events.OutputRegistered)
    assert output.dobject.size == 9876543210  # beyond 32 bits
    assert output.dobject.suffix == ".bam"


def test_each_event_type_has_its_subject() -> None:
    assert subjects.subject_for("OutputRegistered") == "lineage.output.registered"
    assert subjects.dlq_subject_for("lineage.run.started") == "lineage_dlq.run.started"
    assert set(subjects.SUBJECT_BY_EVENT_TYPE) == set(events.EVENT_TYPES)


def _golden(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((GOLDEN / "v1" / f"{name}.json").read_bytes())


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
    assert "newer" in _bad(_golden("RunFinished") | {"schema_version": 2})


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
    # Simulate a v2 that renamed `producer` to `source`; v1 events are upcast, never rejected.
    def v1_to_v2(data: dict) -> dict:  # type: ignore[type-arg]
        data = dict(data)
        data["source"] = data.pop("producer")
        return data

    monkeypatch.setitem(events.UPCASTERS, 1, v1_to_v2)
    upcast = events.upcast(_golden("RunFinished"), current=2)
    assert upcast["schema_version"] == 2
    assert upcast["source"].startswith("producer_sdk/")
    assert "producer" not in upcast


def test_models_are_frozen() -> None:
    event = events.decode((GOLDEN / "v1" / "RunFinished.json").read_bytes())
    with pytest.raises(Exception, match="frozen"):
        event.status = "completed"  # type: ignore[misc,union-attr]
