"""The dead-letter stream LINEAGE_DLQ: park bad messages, list them, replay them.

A parked message keeps the original body and headers. Its own headers say why and
where it came from: `Lineage-Error` (the reason), `Lineage-Original-Subject`,
`Lineage-Original-Sequence`; the original `Nats-Msg-Id` is kept as
`Lineage-Original-Msg-Id` so that JetStream de-duplication in the DLQ works on the
original stream sequence instead (a redelivered bad message is parked once).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from lineage_core import subjects

ORIGINAL_SUBJECT: Final = "Lineage-Original-Subject"
ORIGINAL_SEQUENCE: Final = "Lineage-Original-Sequence"
ORIGINAL_MSG_ID: Final = "Lineage-Original-Msg-Id"
DEAD_LETTERED_AT: Final = "Lineage-Dead-Lettered-At"
REPLAYED_FROM: Final = "Lineage-Replayed-From"
_OURS: Final = {
    subjects.ERROR_HEADER,
    ORIGINAL_SUBJECT,
    ORIGINAL_SEQUENCE,
    ORIGINAL_MSG_ID,
    DEAD_LETTERED_AT,
    subjects.MSG_ID_HEADER,
}
_HEADER_LIMIT: Final = 1024


def header_text(text: str) -> str:
    """A reason as one header line (no CR/LF, bounded)."""
    return " ".join(text.split())[:_HEADER_LIMIT]


def dead_letter_headers(
    subject: str, sequence: int, reason: str, original: dict[str, str] | None = None
) -> dict[str, str]:
    """Headers of the parked copy of the message at `sequence` of `subject`."""
    original = original or {}
    headers = {k: v for k, v in original.items() if not k.startswith("Nats-")}
    original_id = original.get(subjects.MSG_ID_HEADER)
    if original_id:
        headers[ORIGINAL_MSG_ID] = original_id
    headers.update(
        {
            subjects.ERROR_HEADER: header_text(reason),
            ORIGINAL_SUBJECT: subject,
            ORIGINAL_SEQUENCE: str(sequence),
            DEAD_LETTERED_AT: datetime.now(UTC).isoformat(),
            subjects.MSG_ID_HEADER: f"lineage-dlq:{sequence}",
        }
    )
    return headers


async def park(
    js: JetStreamContext,
    subject: str,
    sequence: int,
    data: bytes,
    reason: str,
    *,
    original_headers: dict[str, str] | None = None,
) -> None:
    """Publish a bad message to LINEAGE_DLQ and wait for the stream's ack."""
    headers = dead_letter_headers(subject, sequence, reason, original_headers)
    await js.publish(subjects.dlq_subject_for(subject), data, headers=headers)


async def dead_letter(js: JetStreamContext, msg: Msg, reason: str) -> None:
    """Park a delivered message (then the original may be acked)."""
    await park(
        js,
        msg.subject,
        int(msg.metadata.sequence.stream),
        msg.data,
        reason,
        original_headers=msg.headers,
    )


@dataclass(frozen=True)
class Parked:
    """One message in LINEAGE_DLQ."""

    dlq_sequence: int
    reason: str
    original_subject: str
    original_sequence: int | None
    dead_lettered_at: str
    data: bytes
    headers: dict[str, str]

    def replay_headers(self) -> dict[str, str]:
        """The original headers, with a fresh message id so JetStream does not drop the re-send
        as a duplicate of the original (which it still remembers inside its window)."""
        headers = {k: v for k, v in self.headers.items() if k not in _OURS}
        headers[REPLAYED_FROM] = str(self.dlq_sequence)
        headers[subjects.MSG_ID_HEADER] = (
            f"lineage-replay:{self.original_sequence}:{self.dlq_sequence}"
        )
        return headers


async def parked_messages(
    js: JetStreamContext, *, up_to: int | None = None
) -> AsyncIterator[Parked]:
    """The parked messages in DLQ order (up to DLQ sequence `up_to`, if given)."""
    info = await js.stream_info(subjects.DLQ_STREAM)
    last = info.state.last_seq if up_to is None else min(up_to, info.state.last_seq)
    seq = max(info.state.first_seq, 1)
    while seq <= last:
        try:
            raw = await js.get_msg(
                subjects.DLQ_STREAM, seq=seq, next=True, subject=subjects.DLQ_SUBJECTS[0]
            )
        except NotFoundError:
            return
        if raw.seq is None or raw.seq > last:
            return
        headers = dict(raw.headers or {})
        original_seq = headers.get(ORIGINAL_SEQUENCE)
        yield Parked(
            dlq_sequence=raw.seq,
            reason=headers.get(subjects.ERROR_HEADER, ""),
            original_subject=headers.get(ORIGINAL_SUBJECT, ""),
            original_sequence=int(original_seq)
            if original_seq and original_seq.isdigit()
            else None,
            dead_lettered_at=headers.get(DEAD_LETTERED_AT, ""),
            data=raw.data or b"",
            headers=headers,
        )
        seq = raw.seq + 1


async def replay(js: JetStreamContext, parked: Parked) -> int:
    """Re-publish one parked message to its original subject, then delete it from the DLQ.

    Returns the new stream sequence in LINEAGE. If the delete is lost (crash), a second
    replay re-sends with the same message id, which JetStream de-duplicates in its window
    and the projector de-duplicates by event_id after it.
    """
    subject = parked.original_subject
    if not subject.startswith("lineage."):
        raise ValueError(f"DLQ message {parked.dlq_sequence} has no original subject")
    ack = await js.publish(subject, parked.data, headers=parked.replay_headers())
    await js.delete_msg(subjects.DLQ_STREAM, parked.dlq_sequence)
    return int(ack.seq)


async def dlq_size(js: JetStreamContext) -> int:
    """How many messages are parked."""
    try:
        info = await js.stream_info(subjects.DLQ_STREAM)
    except NotFoundError:
        return 0
    return int(info.state.messages)
