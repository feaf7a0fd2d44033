"""Records -> lineage events (lineage_core.events, the one shared vocabulary).

Every event goes out as the current `schema_version` (2). Imported on first use, not at
`import producer_sdk`: pydantic model building is the largest part of the SDK's import
time.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Final, Literal

from lineage_core import events
from producer_sdk.errors import EventTooLarge
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
        parent_run_id=run.parent.id if run.parent is not None else None,
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
    check_output_size(run, dobject)
    return events.OutputRegistered(
        event_id=uuid.uuid4(),
        occurred_at=_now(),
        producer=producer(),
        run_id=run.id,
        dobject=dobject_ref(dobject),
        fields=_field_models(dobject),
        column_lineage=_column_lineage_models(dobject),
    )


def _field_models(dobject: DObject) -> tuple[events.DatasetField, ...] | None:
    if dobject.fields is None:
        return None
    return tuple(
        events.DatasetField(name=f.name, type=f.type, description=f.description)
        for f in dobject.fields
    )


def _column_lineage_models(dobject: DObject) -> tuple[events.ColumnLineage, ...] | None:
    if dobject.column_lineage is None:
        return None
    return tuple(
        events.ColumnLineage(
            field=field,
            inputs=tuple(
                events.ColumnInput(
                    dobject_id=i.dobject_id, field=i.field, transformation=i.transformation
                )
                for i in inputs
            ),
        )
        for field, inputs in dobject.column_lineage
    )


def _fields_json(dobject: DObject) -> list[dict[str, str]] | None:
    if dobject.fields is None:
        return None
    return [_without_none(f._asdict()) for f in dobject.fields]


def _column_lineage_json(dobject: DObject) -> list[dict[str, object]] | None:
    if dobject.column_lineage is None:
        return None
    return [
        {
            "field": field,
            "inputs": [
                _without_none(
                    {
                        "dobject_id": str(i.dobject_id),
                        "field": i.field,
                        "transformation": i.transformation,
                    }
                )
                for i in inputs
            ],
        }
        for field, inputs in dobject.column_lineage
    ]


def _without_none(data: dict[str, str | None]) -> dict[str, str]:
    return {k: v for k, v in data.items() if v is not None}


def check_output_size(run: Run, dobject: DObject) -> None:
    """Refuse, before anything is built or sent, an OutputRegistered over the service's
    limits: the 64 KiB message, or the counts of fields and column lineage per output.

    The size is that of the event's JSON, measured without the models (which would stop
    at the first count limit without saying how large the message is).
    """
    fields = _fields_json(dobject) or []
    lineage = _column_lineage_json(dobject) or []
    if not fields and not lineage:
        return  # the other fields of the event have limits far below 64 KiB
    bare = events.OutputRegistered(
        event_id=uuid.uuid4(),
        occurred_at=_now(),
        producer=producer(),
        run_id=run.id,
        dobject=dobject_ref(dobject),
    )
    body = {**json.loads(events.encode(bare)), "fields": fields, "column_lineage": lineage}
    size = len(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())
    widest = max((len(inputs) for _, inputs in dobject.column_lineage or ()), default=0)
    over = []
    if size > events.MAX_MESSAGE_BYTES:
        over.append(f"{size:,} bytes > {events.MAX_MESSAGE_BYTES:,}, the 64 KiB message limit")
    if len(fields) > events.MAX_FIELDS:
        over.append(f"{len(fields):,} fields > {events.MAX_FIELDS:,}")
    if len(lineage) > events.MAX_COLUMN_LINEAGE:
        over.append(f"{len(lineage):,} column_lineage entries > {events.MAX_COLUMN_LINEAGE:,}")
    if widest > events.MAX_COLUMN_INPUTS:
        over.append(f"{widest:,} inputs of one field > {events.MAX_COLUMN_INPUTS:,}")
    if over:
        raise EventTooLarge(
            f"the OutputRegistered of {dobject.name}{dobject.suffix} would be {size:,} bytes "
            f"with {len(fields):,} fields and {len(lineage):,} column_lineage entries, over "
            f"the lineage service's limits ({'; '.join(over)}). Nothing was sent: pass fewer "
            "fields= (e.g. the top-level ones) or column_lineage= entries (the fields that "
            "matter), or shorter descriptions."
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
