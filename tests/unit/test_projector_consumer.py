"""consumer.py without servers: watermark continuity, decoding, dead-letter reasons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lineage_core.events import encode
from projector.consumer import contiguous, decode_batch, sequence_of
from projector.metrics import reason_label
from tests.support.workload import run_events


@dataclass
class _Seq:
    stream: int


@dataclass
class _Meta:
    sequence: _Seq


class FakeMsg:
    """Only what the pure helpers read of a nats Msg."""

    def __init__(self, seq: int, data: bytes = b"{}", subject: str = "lineage.run.started"):
        self.metadata = _Meta(_Seq(seq))
        self.reply = f"$JS.ACK.LINEAGE.projector.1.{seq}.{seq}.1700000000000000000.0"
        self.data = data
        self.subject = subject
        self.headers: dict[str, str] | None = None


def seqs(msgs: list[Any]) -> list[int]:
    return [m.metadata.sequence.stream for m in msgs]


def test_a_batch_continuing_the_watermark_is_one_run() -> None:
    done, run, missing = contiguous([FakeMsg(s) for s in (13, 11, 12)], 10)  # type: ignore[misc]
    assert (seqs(done), seqs(run), missing) == ([], [11, 12, 13], None)


def test_redeliveries_below_the_watermark_are_done() -> None:
    done, run, missing = contiguous([FakeMsg(s) for s in (9, 10, 11)], 10)  # type: ignore[misc]
    assert (seqs(done), seqs(run), missing) == ([9, 10], [11], None)


def test_a_gap_stops_the_run_and_names_the_missing_sequence() -> None:
    _, run, missing = contiguous([FakeMsg(s) for s in (11, 12, 14, 15)], 10)  # type: ignore[misc]
    assert (seqs(run), missing) == ([11, 12], 13)
    _, run, missing = contiguous([FakeMsg(s) for s in (12, 13)], 10)  # type: ignore[misc]
    assert (seqs(run), missing) == ([], 11)


def test_a_known_hole_is_crossed() -> None:
    msgs = [FakeMsg(s) for s in (11, 14, 15)]
    _done, run, missing = contiguous(msgs, 10, {12: 14})  # type: ignore[arg-type]
    assert (seqs(run), missing) == ([11, 14, 15], None)


def test_the_stream_sequence_is_read_from_the_ack_subject() -> None:
    msg = FakeMsg(0)
    msg.reply = "$JS.ACK.LINEAGE.projector.1.42.40.1700000000000000000.0"
    assert sequence_of(msg) == 42  # type: ignore[arg-type]
    msg.reply = "$JS.ACK.domain.acchash.LINEAGE.projector.1.43.41.1700000000000000000.0.tok"
    assert sequence_of(msg) == 43  # type: ignore[arg-type]


def test_decode_batch_splits_good_from_bad() -> None:
    good = run_events(0)[0]
    out = decode_batch(
        [
            FakeMsg(1, encode(good)),  # type: ignore[list-item]
            FakeMsg(2, b"\xff\xfe"),  # type: ignore[list-item]
            FakeMsg(3, b'{"event_type": "Nope"}'),  # type: ignore[list-item]
        ]
    )
    assert [a.event for a in out.accepted] == [good]
    assert [reason_label(r) for _, r in out.bad] == ["undecodable", "unknown_event_type"]


def test_reason_labels_are_few() -> None:
    assert reason_label("schema_version 3 is newer than supported (1)") == "future_schema_version"
    assert reason_label("invalid event: run_id: Field required") == "invalid"
    assert reason_label("message of 70000 bytes exceeds 65536") == "too_large"
