"""Create the JetStream streams with the same config, whoever starts first."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

from lineage_core import subjects

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


async def ensure_streams(js: JetStreamContext) -> None:
    """Create LINEAGE and LINEAGE_DLQ if missing; leave existing ones as they are."""
    for config in (LINEAGE_STREAM, DLQ_STREAM):
        try:
            await js.stream_info(config.name or "")
        except NotFoundError:
            try:
                await js.add_stream(config)
            except BadRequestError:
                # Another process created it between our look-up and our add.
                await js.stream_info(config.name or "")
