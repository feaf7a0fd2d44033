"""Version 2 events for tests: a parent run and its child, fields and column lineage.

`family(seed)` returns them in a delivery order that exercises every order rule: the
child's RunStarted (naming a parent not seen yet) comes first; the output's later
registration (other fields, other column lineage) arrives before its earliest one; one
column-lineage input names a dobject that never appears.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lineage_core.events import (
    ColumnInput,
    ColumnLineage,
    DatasetField,
    DObjectRef,
    Event,
    InputLoaded,
    OutputRegistered,
    RunStarted,
    Transform,
)
from lineage_core.ids import transform_id

PRODUCER = "tests/v2"


@dataclass(frozen=True)
class Family:
    parent: uuid.UUID
    child: uuid.UUID
    source: uuid.UUID  # an input dobject of the child
    output: uuid.UUID  # the child's output, with fields and column lineage
    missing: uuid.UUID  # named by column lineage only, never registered
    events: list[Event]  # in delivery order


def family(seed: int = 0, base: datetime | None = None) -> Family:
    def uid(name: str) -> uuid.UUID:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"tests/v2/{seed}/{name}")

    t0 = base or datetime(2026, 2, 1, tzinfo=UTC)
    sec = timedelta(seconds=1)
    transform = Transform(
        id=transform_id("pipeline", "orchestrator", "1"),
        type="pipeline",
        name="orchestrator",
        version="1",
    )
    parent, child = uid("parent"), uid("child")
    source = DObjectRef(id=uid("source"), name="customers", suffix=".parquet")
    output = DObjectRef(id=uid("output"), name="orders", suffix=".parquet")
    missing = uid("missing")
    earliest = OutputRegistered(
        event_id=uid("out-1"),
        occurred_at=t0 + 3 * sec,
        producer=PRODUCER,
        run_id=child,
        dobject=output,
        fields=(
            DatasetField(name="customer_id", type="int64", description="who ordered"),
            DatasetField(name="address.city", type="string"),
        ),
        column_lineage=(
            ColumnLineage(
                field="customer_id",
                inputs=(
                    ColumnInput(dobject_id=source.id, field="id", transformation="DIRECT/IDENTITY"),
                ),
            ),
            ColumnLineage(
                field="address.city",
                inputs=(
                    ColumnInput(
                        dobject_id=source.id,
                        field="address.city",
                        transformation="DIRECT/IDENTITY, INDIRECT/FILTER",
                    ),
                    ColumnInput(dobject_id=missing, field="city"),
                ),
            ),
        ),
    )
    later = earliest.model_copy(
        update={
            "event_id": uid("out-2"),
            "occurred_at": t0 + 4 * sec,
            "fields": (DatasetField(name="other"),),
            "column_lineage": (
                ColumnLineage(
                    field="other", inputs=(ColumnInput(dobject_id=source.id, field="x"),)
                ),
            ),
        }
    )
    events: list[Event] = [
        RunStarted(
            event_id=uid("child-start"),
            occurred_at=t0 + sec,
            producer=PRODUCER,
            run_id=child,
            transform=transform,
            run_name="child",
            parent_run_id=parent,
        ),
        later,
        InputLoaded(
            event_id=uid("input"),
            occurred_at=t0 + 2 * sec,
            producer=PRODUCER,
            run_id=child,
            dobject=source,
        ),
        earliest,
        RunStarted(
            event_id=uid("parent-start"),
            occurred_at=t0,
            producer=PRODUCER,
            run_id=parent,
            transform=transform,
            run_name="parent",
        ),
    ]
    return Family(parent, child, source.id, output.id, missing, events)
