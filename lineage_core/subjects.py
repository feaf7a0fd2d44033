"""Subjects, streams and consumer names: the one place they are spelled."""

from __future__ import annotations

from typing import Final

STREAM: Final = "LINEAGE"
STREAM_SUBJECTS: Final = ("lineage.>",)
DLQ_STREAM: Final = "LINEAGE_DLQ"
DLQ_SUBJECTS: Final = ("lineage_dlq.>",)
PROJECTOR_DURABLE: Final = "projector"

# Header names on the wire.
MSG_ID_HEADER: Final = "Nats-Msg-Id"
ERROR_HEADER: Final = "Lineage-Error"

# JetStream de-duplicates re-sends of one event_id inside this window; the projector
# de-duplicates by event_id forever, so a late re-send from an outbox is still safe.
DUPLICATE_WINDOW_SECONDS: Final = 600.0
# LINEAGE_DLQ parks a bad message under `lineage-dlq:<original sequence>`: a redelivery
# after a crash, however late, must find that id still remembered (bad messages are few).
DLQ_DUPLICATE_WINDOW_SECONDS: Final = 7 * 24 * 3600.0

SUBJECT_BY_EVENT_TYPE: Final[dict[str, str]] = {
    "TransformRegistered": "lineage.transform.registered",
    "RunStarted": "lineage.run.started",
    "InputLoaded": "lineage.input.loaded",
    "OutputRegistered": "lineage.output.registered",
    "RunFinished": "lineage.run.finished",
}


def subject_for(event_type: str) -> str:
    """The subject an event of `event_type` is published on."""
    return SUBJECT_BY_EVENT_TYPE[event_type]


def dlq_subject_for(subject: str) -> str:
    """Where a bad message published on `subject` is parked: `lineage.x.y` -> `lineage_dlq.x.y`."""
    head, _, tail = subject.partition(".")
    return f"lineage_dlq.{tail}" if head == "lineage" and tail else "lineage_dlq.unknown"
