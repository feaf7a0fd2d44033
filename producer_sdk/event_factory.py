"""Records -> lineage events (lineage_core.events, the one shared vocabulary).

Imported on first use, not at `import producer_sdk`: pydantic model building is the
largest part of the SDK's import time.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Final, Literal

from lineage_core import events
from producer_sdk.version import __version__

if TYPE_CHECKING:
    from producer_sdk.records import DObject, Run, Transform

MAX_ERROR: Final = 4096  # RunFinished.error's limit (CONTRACT section 1)


@lru_cache(maxsize=1)
def _producer_for(pid: int) -> str:
    return f"producer_sdk/{__version__} host={socket.gethostname()} pid={pid}"[:256]


def producer() -> str:
    """`producer_sdk/<version> host=<host> pid=<pid>` (recomputed after a fork)."""
    return _producer_for(os.getpid())


def _now() -> datetime:
    return datetime.now(UTC)


def transform_model(transform: Transform) -> events.Transform:
    return events.Transform(
        id=transform.id,
        type=transform.type,
        name=transform.name,
        version=transform.version,
        title=transform.title,
        reference=transform.reference,
    )


def dobject_ref(dobject: DObject) -> events.DObjectRef:
    return events.DObjectRef(
        id=dobject.id,
        name=dobject.name,
        suffix=dobject.suffix,
        size=dobject.size,
        hash=dobject.hash,
        uri=dobject.uri,
    )


def transform_registered(transform: Transform) -> events.TransformRegistered:
    return events.TransformRegistered(
        event_id=uuid.uuid4(),
        occurred_at=_now(),
        producer=producer(),
        transform=transform_model(transform),
    )


def run_started(run: Run, transform: Transform) -> events.RunStarted:
    return events.RunStarted(
        event_id=uuid.uuid4(),
        occurred_at=_now(),
        producer=producer(),
        run_id=run.id,
        transform=transform_model(transform),
        run_name=run.name,
    )


def input_loaded(run: Run, dobject: DObject) -> events.InputLoaded:
    return events.InputLoaded(
        event_id=uuid.uuid4(),
        occurred_at=_now(),
        producer=producer(),
        run_id=run.id,
        dobject=dobject_ref(dobject),
    )


def output_registered(run: Run, dobject: DObject) -> events.OutputRegistered:
    return events.OutputRegistered(
        event_id=uuid.uuid4(),
        occurred_at=_now(),
        producer=producer(),
        run_id=run.id,
        dobject=dobject_ref(dobject),
    )


def run_finished(
    run: Run, status: Literal["completed", "failed"], error: str | None
) -> events.RunFinished:
    if error is not None and len(error) > MAX_ERROR:
        error = error[: MAX_ERROR - 3] + "..."
    return events.RunFinished(
        event_id=uuid.uuid4(),
        occurred_at=_now(),
        producer=producer(),
        run_id=run.id,
        status=status,
        error=error,
    )
