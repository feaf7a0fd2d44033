"""What each SDK call publishes, decided without I/O (the planning layer of the SDK).

Each `plan_*` returns the events to publish, in order, and updates the records and the
process's `Ledger` as if they were published (publishing cannot fail for lack of NATS:
the outbox takes what NATS does not).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from producer_sdk import event_factory as ef
from producer_sdk.errors import LineageError, NoRunError
from producer_sdk.records import DObject, Run, Transform

Event = Any  # a lineage_core.events model


@dataclass
class Ledger:
    """What this process has published: read-your-writes without asking the service."""

    transforms: dict[uuid.UUID, Transform] = field(default_factory=dict)
    dobjects_by_hash: dict[str, DObject] = field(default_factory=dict)
    active_runs: dict[uuid.UUID, Run] = field(default_factory=dict)  # started, not finished


def plan_transform(transform: Transform, ledger: Ledger) -> list[Event]:
    """`TransformRegistered`, once per process and transform."""
    if transform.id in ledger.transforms:
        return []
    ledger.transforms[transform.id] = transform
    return [ef.transform_registered(transform)]


def plan_start(run: Run, ledger: Ledger) -> list[Event]:
    """`RunStarted` for a run of this process that has not started yet."""
    if run._started:
        return []
    if run.transform is None:
        raise LineageError(
            "this run has no transform: create it as "
            "lns.Run(pipeline=lns.Pipeline(name=..., v=...)) or use ln.Run(...)"
        )
    events = plan_transform(run.transform, ledger)
    started = ef.run_started(run, run.transform)
    run._started = True
    run.status = "STARTED"
    run.started_at = started.occurred_at
    ledger.active_runs[run.id] = run
    return [*events, started]


def plan_output(dobject: DObject, run: Run | None, ledger: Ledger) -> list[Event]:
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
    ef.check_output_size(run, dobject)  # before the run is marked started: nothing half-done
    events = plan_start(run, ledger)
    events.append(ef.output_registered(run, dobject))
    dobject._registered = True
    dobject._source = run
    if dobject.hash:
        ledger.dobjects_by_hash[dobject.hash] = dobject
    return events


def plan_input(dobject: DObject, run: Run | None, ledger: Ledger) -> list[Event]:
    """`InputLoaded` of a DObject for a run (started first if needed)."""
    if run is None:
        raise NoRunError(
            "load(is_run_input=True) needs a run: call ln.Run(pipeline_name=..., "
            "global_context=True) first, or pass load(is_run_input=True, run=run)"
        )
    events = plan_start(run, ledger)
    events.append(ef.input_loaded(run, dobject))
    return events


def plan_finish(
    run: Run, status: Literal["completed", "failed"], error: str | None, ledger: Ledger
) -> list[Event]:
    """`RunFinished` of a run this process started and has not finished (else nothing)."""
    if run.id not in ledger.active_runs or run._finished:
        return []
    finished = ef.run_finished(run, status, error)
    run._finished = True
    run.status = "COMPLETED" if status == "completed" else "FAILED"
    run.finished_at = finished.occurred_at
    del ledger.active_runs[run.id]
    return [finished]


def plan_add(record: object, current_run: Run | None, ledger: Ledger) -> list[Event]:
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
