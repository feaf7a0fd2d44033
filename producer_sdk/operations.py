"""What each SDK call publishes, decided without I/O (the planning layer of the SDK).

Each `plan_*` returns the messages to publish, in order, and updates the records and the
process's `Ledger` as if they were published (publishing cannot fail for lack of NATS:
the outbox takes what NATS does not). A message is its event encoded once, here, and
checked against the service's limits by `lineage_core.events.build_checked`; a call
whose event is over a limit raises EventTooLarge before any record or the ledger
changes, so nothing of it is half-done.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final, Literal

from lineage_core import events
from lineage_core.subjects import subject_for
from producer_sdk.errors import EventTooLarge, LineageError, NoRunError
from producer_sdk.files import FileFacts
from producer_sdk.records import DObject, Run, Transform
from producer_sdk.version import __version__

MAX_ERROR: Final = 4096  # RunFinished.error's limit (docs/reference/events.md)


@dataclass(frozen=True)
class Message:
    """One event ready to publish: its subject and its bytes, measured and checked."""

    event: Any  # a lineage_core.events model
    subject: str
    data: bytes

    @property
    def event_id(self) -> str:
        return str(self.event.event_id)


@dataclass
class Ledger:
    """What this process has published: read-your-writes without asking the service."""

    transforms: dict[uuid.UUID, Transform] = field(default_factory=dict)
    dobjects_by_hash: dict[str, DObject] = field(default_factory=dict)
    active_runs: dict[uuid.UUID, Run] = field(default_factory=dict)  # started, not finished


@lru_cache(maxsize=1)
def _producer_for(pid: int) -> str:
    return f"producer_sdk/{__version__} host={socket.gethostname()} pid={pid}"[:256]


def producer() -> str:
    """`producer_sdk/<version> host=<host> pid=<pid>` (recomputed after a fork)."""
    return _producer_for(os.getpid())


def message(model: type[events.RunEvent | events.TransformRegistered], **values: Any) -> Message:
    """A new event of `model` with a fresh id, the time now and this producer; encoded and
    checked. Over a limit: EventTooLarge, that says what to trim."""
    try:
        event, data = events.build_checked(
            model,
            event_id=uuid.uuid4(),
            occurred_at=datetime.now(UTC),
            producer=producer(),
            **values,
        )
    except events.EventTooLarge as exc:
        raise EventTooLarge(_too_large(model, values, exc)) from None
    return Message(event, subject_for(event.event_type), data)


def _too_large(model: type[Any], values: dict[str, Any], exc: events.EventTooLarge) -> str:
    limits = "; ".join(exc.over)
    dobject = values.get("dobject")
    if dobject is None:
        return (
            f"{exc} would be {exc.size:,} bytes, over the lineage service's limits ({limits}); "
            "nothing was sent"
        )
    fields, lineage = values.get("fields") or (), values.get("column_lineage") or ()
    return (
        f"the {model.__name__} of {dobject.name}{dobject.suffix} would be {exc.size:,} bytes "
        f"with {len(fields):,} fields and {len(lineage):,} column_lineage entries, over the "
        f"lineage service's limits ({limits}). Nothing was sent: pass fewer fields= (e.g. "
        "the top-level ones) or column_lineage= entries (the fields that matter), or shorter "
        "descriptions."
    )


def transform_model(transform: Transform) -> events.Transform:
    return events.Transform(
        id=transform.id,
        type=transform.type,
        name=transform.name,
        version=transform.version,
        title=transform.title,
        reference=transform.reference,
    )


def dobject_ref(dobject: DObject, content: FileFacts | None = None) -> events.DObjectRef:
    """The dobject as an event carries it; `content`: the bytes loaded, when known."""
    label: dict[str, Any] = {"version": dobject.label} if dobject.label is not None else {}
    return events.DObjectRef.model_construct(
        id=dobject.id,
        name=dobject.name,
        suffix=dobject.suffix,
        size=content.size if content is not None else dobject.size,
        hash=content.hash if content is not None else dobject.hash,
        uri=dobject.uri,
        **label,
    )


def _fields(dobject: DObject) -> dict[str, Any]:
    """`fields` and `column_lineage` of an OutputRegistered, as event models.

    Built unvalidated: `message` validates the whole event from its bytes, after it
    measured it, so a schema over a count limit is refused with its size."""
    out: dict[str, Any] = {}
    if dobject.fields is not None:
        out["fields"] = tuple(
            events.DatasetField.model_construct(name=f.name, type=f.type, description=f.description)
            for f in dobject.fields
        )
    if dobject.column_lineage is not None:
        out["column_lineage"] = tuple(
            events.ColumnLineage.model_construct(
                field=name,
                inputs=tuple(
                    events.ColumnInput.model_construct(
                        dobject_id=i.dobject_id, field=i.field, transformation=i.transformation
                    )
                    for i in inputs
                ),
            )
            for name, inputs in dobject.column_lineage
        )
    return out


def plan_transform(transform: Transform, ledger: Ledger) -> list[Message]:
    """`TransformRegistered`, once per process and transform."""
    if transform.id in ledger.transforms:
        return []
    registered = message(events.TransformRegistered, transform=transform_model(transform))
    ledger.transforms[transform.id] = transform
    return [registered]


def plan_start(run: Run, ledger: Ledger) -> list[Message]:
    """`RunStarted` for a run of this process that has not started yet."""
    if run._started:
        return []
    if run.transform is None:
        raise LineageError(
            "this run has no transform: create it as "
            "lns.Run(pipeline=lns.Pipeline(name=..., v=...)) or use ln.Run(...)"
        )
    started = message(
        events.RunStarted,
        run_id=run.id,
        transform=transform_model(run.transform),
        run_name=run.name,
        parent_run_id=run.parent.id if run.parent is not None else None,
    )
    messages = plan_transform(run.transform, ledger)
    run._started = True
    run.status = "STARTED"
    run.started_at = started.event.occurred_at
    ledger.active_runs[run.id] = run
    return [*messages, started]


def plan_output(dobject: DObject, run: Run | None, ledger: Ledger) -> list[Message]:
    """`OutputRegistered` of a DObject the service does not have yet (else nothing)."""
    if dobject._registered:
        return []
    run = dobject._source or run
    if run is None:
        raise NoRunError(
            "ln.add(DObject) needs a run to record it as an output of: call "
            "ln.Run(pipeline_name=..., global_context=True) first, or pass "
            "ln.DObject(path, source=run)"
        )
    # Built (and checked) before the run is marked started: nothing half-done.
    output = message(
        events.OutputRegistered, run_id=run.id, dobject=dobject_ref(dobject), **_fields(dobject)
    )
    messages = plan_start(run, ledger)
    messages.append(output)
    dobject._registered = True
    dobject._source = run
    if dobject.hash:
        ledger.dobjects_by_hash[dobject.hash] = dobject
    return messages


def plan_input(
    dobject: DObject, run: Run | None, ledger: Ledger, content: FileFacts | None = None
) -> list[Message]:
    """`InputLoaded` of a DObject for a run (started first if needed). `content`: what was
    loaded (`files.content_now`), whose hash binds the input to exactly that version
    (docs/reference/versions.md); else the DObject's own hash."""
    if run is None:
        raise NoRunError(
            "load(is_run_input=True) needs a run: call ln.Run(pipeline_name=..., "
            "global_context=True) first, or pass load(is_run_input=True, run=run)"
        )
    # Its schema, for a dataset no run wrote (version 3); column lineage is an output's.
    schema = {"fields": _fields(dobject)["fields"]} if dobject.fields is not None else {}
    loaded = message(
        events.InputLoaded, run_id=run.id, dobject=dobject_ref(dobject, content), **schema
    )
    return [*plan_start(run, ledger), loaded]


def plan_finish(
    run: Run, status: Literal["completed", "failed"], error: str | None, ledger: Ledger
) -> list[Message]:
    """`RunFinished` of a run this process started and has not finished (else nothing)."""
    if run.id not in ledger.active_runs or run._finished:
        return []
    if error is not None and len(error) > MAX_ERROR:
        error = error[: MAX_ERROR - 3] + "..."
    finished = message(events.RunFinished, run_id=run.id, status=status, error=error)
    run._finished = True
    run.status = "COMPLETED" if status == "completed" else "FAILED"
    run.finished_at = finished.event.occurred_at
    del ledger.active_runs[run.id]
    return [finished]


def plan_add(record: object, current_run: Run | None, ledger: Ledger) -> list[Message]:
    """`ln.add(record)`: transforms are registered, runs started, DObjects recorded as
    outputs of their source (or the current) run; what the service has adds nothing."""
    if isinstance(record, Transform):
        return plan_transform(record, ledger)
    if isinstance(record, Run):
        return plan_start(record, ledger) if record._local else []
    if isinstance(record, DObject):
        return plan_output(record, current_run, ledger)
    raise TypeError(
        f"ln.add takes lns.Pipeline, lns.Notebook, lns.Run or ln.DObject records, not "
        f"{type(record).__name__}"
    )
