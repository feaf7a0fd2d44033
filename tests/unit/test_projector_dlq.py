"""dlq.py without servers: what a parked message carries, and what a replay sends."""

from __future__ import annotations

from lineage_core import subjects
from projector.dlq import (
    ORIGINAL_MSG_ID,
    ORIGINAL_SEQUENCE,
    ORIGINAL_SUBJECT,
    REPLAYED_FROM,
    Parked,
    dead_letter_headers,
    header_text,
)


def test_parked_headers_name_the_reason_and_the_origin() -> None:
    original = {subjects.MSG_ID_HEADER: "evt-1", "Nats-Expected-Stream": "X", "Trace": "t"}
    headers = dead_letter_headers("lineage.run.started", 42, "not JSON:\r\n bad", original)
    assert headers[subjects.ERROR_HEADER] == "not JSON: bad"
    assert headers[ORIGINAL_SUBJECT] == "lineage.run.started"
    assert headers[ORIGINAL_SEQUENCE] == "42"
    assert headers[ORIGINAL_MSG_ID] == "evt-1"
    # De-duplicated in the DLQ by the original sequence, not by the producer's id.
    assert headers[subjects.MSG_ID_HEADER] == "lineage-dlq:42"
    assert headers["Trace"] == "t"
    assert "Nats-Expected-Stream" not in headers


def test_a_replay_gets_a_fresh_message_id_and_the_original_headers() -> None:
    headers = dead_letter_headers(
        "lineage.run.started", 42, "boom", {"Trace": "t", subjects.MSG_ID_HEADER: "evt-1"}
    )
    parked = Parked(7, "boom", "lineage.run.started", 42, "", b"{}", headers)
    replay = parked.replay_headers()
    assert replay == {
        "Trace": "t",
        REPLAYED_FROM: "7",
        subjects.MSG_ID_HEADER: "lineage-replay:42:7",
    }


def test_header_text_is_one_bounded_line() -> None:
    assert header_text("a\nb\tc") == "a b c"
    assert len(header_text("x" * 5000)) == 1024
    assert subjects.dlq_subject_for("lineage.run.started") == "lineage_dlq.run.started"
