"""The fast path of `decode`, the projector's batch decoding and the stepwise reference
decoder give the same verdict.

Whatever the bytes (arbitrary, arbitrary JSON, golden events of every type and version
mutated: fields dropped, values of another type, versions 0..3, version 2 fields on
version 1 events, oversize), an event is accepted or parked the same way whichever path
sees it, and an accepted event is the same event.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from nats.aio.msg import Msg

from lineage_core import events
from projector.consumer import decode_batch

GOLDEN = Path(__file__).parents[1] / "golden"
VALID: list[dict[str, Any]] = [json.loads(p.read_bytes()) for p in sorted(GOLDEN.glob("v*/*.json"))]
V2_EXTRAS: dict[str, Any] = {
    name: json.loads((GOLDEN / "v2" / f"{etype}.json").read_bytes())[name]
    for etype, names in events.V2_FIELDS.items()
    for name in names
}

Verdict = tuple[str, Any]


def verdict(decoder: Any, raw: bytes) -> Verdict:
    try:
        event = decoder(raw)
    except events.InvalidEvent:
        return ("invalid", None)
    return ("accepted", (event, events.encode(event)))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=10,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key or index path inside a JSON value."""
    out: list[tuple[Any, ...]] = []
    if isinstance(value, dict | list):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in items:
            out.append((*prefix, key))
            out.extend(_paths(child, (*prefix, key)))
    return out


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


@st.composite
def mutated_events(draw: st.DrawFn) -> bytes:
    data = json.loads(json.dumps(draw(st.sampled_from(VALID))))  # a deep copy
    for _ in range(draw(st.integers(0, 3))):
        paths = _paths(data)
        action = draw(st.sampled_from(["drop", "retype", "version", "v2", "extra"]))
        if action == "drop" and paths:
            path = draw(st.sampled_from(paths))
            parent = _parent(data, path)
            del parent[path[-1]]
        elif action == "retype" and paths:
            path = draw(st.sampled_from(paths))
            _parent(data, path)[path[-1]] = draw(json_values)
        elif action == "version":
            data["schema_version"] = draw(st.sampled_from([0, 1, 2, 3, 2.0, "2", True, None, -1]))
        elif action == "v2":
            name = draw(st.sampled_from(sorted(V2_EXTRAS)))
            data[name] = json.loads(json.dumps(V2_EXTRAS[name]))
        elif action == "extra":
            data[draw(st.text(min_size=1, max_size=8))] = draw(json_values)
    raw = json.dumps(data, separators=(",", ":")).encode()
    if draw(st.booleans()):
        # Around the message limit: padding inside the JSON keeps it the same event.
        pad = draw(st.sampled_from([0, events.MAX_MESSAGE_BYTES - len(raw), 1 + len(raw) // 2]))
        raw = raw[:-1] + b" " * max(pad, 0) + b"}"
    return raw


def projector_verdict(raw: bytes) -> Verdict:
    """What the projector's batch decoding makes of one delivered message."""
    reply = "$JS.ACK.LINEAGE.projector.1.7.7.1700000000000000000.0"
    decoded = decode_batch([Msg(None, subject="lineage.x", reply=reply, data=raw)])  # type: ignore[arg-type]
    if decoded.bad:
        return ("invalid", None)
    (accepted,) = decoded.accepted
    return ("accepted", (accepted.event, events.encode(accepted.event)))


def _assert_agree(raw: bytes) -> None:
    reference = verdict(events.decode_stepwise, raw)
    assert verdict(events.decode, raw) == reference, raw[:300]
    assert projector_verdict(raw) == reference, raw[:300]


@settings(max_examples=400, database=None, derandomize=True)
@given(raw=mutated_events())
@example(raw=json.dumps({k: v for k, v in VALID[0].items() if k != "schema_version"}).encode())
def test_mutated_events_get_the_same_verdict_from_both_paths(raw: bytes) -> None:
    _assert_agree(raw)


@settings(max_examples=200, database=None, derandomize=True)
@given(raw=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()))
@example(raw=b'{"event_type":"RunFinished","event_type":"RunStarted"}')
@example(raw=b"\xef\xbb\xbf{}")
@example(raw=b'{"a":"\\ud800"}')
def test_arbitrary_bytes_get_the_same_verdict_from_both_paths(raw: bytes) -> None:
    _assert_agree(raw)


def test_an_event_without_schema_version_is_invalid_on_both_paths() -> None:
    for data in VALID:
        raw = json.dumps({k: v for k, v in data.items() if k != "schema_version"}).encode()
        assert verdict(events.decode, raw)[0] == "invalid"
        assert verdict(events.decode_stepwise, raw)[0] == "invalid"


def test_every_golden_event_is_accepted_by_both_paths() -> None:
    for data in VALID:
        raw = json.dumps(data).encode()
        assert verdict(events.decode, raw) == verdict(events.decode_stepwise, raw)
        assert verdict(events.decode, raw)[0] == "accepted"
