"""Create the JetStream streams with the same config, whoever starts first."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable

from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

from lineage_core import subjects
from lineage_core.events import Event, encode

log = logging.getLogger("lineage_core.streams")

LINEAGE_STREAM = StreamConfig(
    name=subjects.STREAM,
    subjects=list(subjects.STREAM_SUBJECTS),
    storage=StorageType.FILE,
    duplicate_window=subjects.DUPLICATE_WINDOW_SECONDS,
)
DLQ_STREAM = StreamConfig(
    name=subjects.DLQ_STREAM,
    subjects=list(subjects.DLQ_SUBJECTS),
    storage=StorageType.FILE,
    duplicate_window=subjects.DLQ_DUPLICATE_WINDOW_SECONDS,
)


async def ensure_streams(js: JetStreamContext, replicas: int | None = None) -> None:
    """Create LINEAGE and LINEAGE_DLQ if missing, with `replicas` copies (1 when None).

    With `replicas` given (the projector and the API pass LINEAGE_STREAM_REPLICAS), an
    existing stream with another replica count is updated to it: JetStream adds or
    removes the copies online. Producers pass None: they create a missing stream but
    never change the replica count an operator chose.
    """
    for base in (LINEAGE_STREAM, DLQ_STREAM):
        config = dataclasses.replace(base, num_replicas=replicas or 1)
        name = config.name or ""
        try:
            info = await js.stream_info(name)
        except NotFoundError:
            try:
                await js.add_stream(config)
                continue
            except BadRequestError:
                # Another process created it between our look-up and our add.
                info = await js.stream_info(name)
        current = info.config.num_replicas or 1
        if replicas is not None and current != replicas:
            log.warning("stream %s: changing replicas from %d to %d", name, current, replicas)
            await js.update_stream(dataclasses.replace(info.config, num_replicas=replicas))


async def publish_in_order(js: JetStreamContext, events: Iterable[Event]) -> int:
    """Publish events one after another, each acknowledged before the next, with its
    event id as `Nats-Msg-Id`; the stream sequence of the last one (0 for none)."""
    last = 0
    for event in events:
        ack = await js.publish(
            subjects.subject_for(event.event_type),
            encode(event),
            headers={subjects.MSG_ID_HEADER: str(event.event_id)},
        )
        last = int(ack.seq)
    return last
