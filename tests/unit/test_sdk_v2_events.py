"""Version 2 of the wire from the SDK (docs/reference/events.md): `parent=` on runs, `fields=`
and `column_lineage=` on DObjects; and events over the service's limits refused before
anything is planned or sent."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from lineage_core import events
from producer_sdk import operations as ops
from producer_sdk import schema as lns
from producer_sdk.dataset_fields import parse_column_lineage, parse_fields
from producer_sdk.errors import EventTooLarge
from producer_sdk.files import file_facts
from producer_sdk.records import DObject


def new_dobject(tmp_path: Path, name: str = "table.parquet", data: bytes = b"PAR1") -> DObject:
    path = tmp_path / name
    path.write_bytes(data)
    return DObject.from_facts(file_facts(path), None)


def roundtrip(event: events.Event) -> events.Event:
    return events.decode(events.encode(event))


def test_parent_becomes_parent_run_id() -> None:
    parent = lns.Run(pipeline=lns.Pipeline(name="nightly"))
    child = lns.Run(pipeline=lns.Pipeline(name="align"), parent=parent)
    started = ops.plan_start(child, ops.Ledger())[-1].event
    assert isinstance(started, events.RunStarted)
    assert started.parent_run_id == parent.id
    assert started.schema_version == events.CURRENT_SCHEMA_VERSION
    assert roundtrip(started) == started
    orphan = ops.plan_start(lns.Run(pipeline=lns.Pipeline(name="p")), ops.Ledger())[-1]
    assert b"parent_run_id" not in orphan.data


def test_parent_must_be_a_run() -> None:
    with pytest.raises(TypeError, match="parent= takes a run"):
        lns.Run(pipeline=lns.Pipeline(name="p"), parent="nightly")  # type: ignore[arg-type]


def test_fields_keep_the_producer_order_in_both_spellings(tmp_path: Path) -> None:
    table = new_dobject(tmp_path)
    table.fields = parse_fields(
        [
            {"name": "id", "type": "int64", "description": "row key"},
            ("address.city", "string"),
            {"name": "note"},
        ]
    )
    run = lns.Run(pipeline=lns.Pipeline(name="p"))
    output = ops.plan_add(table, run, ops.Ledger())[-1].event
    assert isinstance(output, events.OutputRegistered)
    assert [(f.name, f.type, f.description) for f in output.fields or ()] == [
        ("id", "int64", "row key"),
        ("address.city", "string", None),
        ("note", None, None),
    ]
    assert roundtrip(output) == output


def test_column_lineage_points_at_input_fields(tmp_path: Path) -> None:
    orders = new_dobject(tmp_path, "orders.csv", b"a")
    customers_id = uuid.uuid4()
    totals = new_dobject(tmp_path, "totals.csv", b"b")
    totals.column_lineage = parse_column_lineage(
        {
            "total": [(orders, "amount", "DIRECT/AGGREGATION")],
            "customer": [(orders, "customer_id"), (str(customers_id), "id", "INDIRECT/JOIN")],
        }
    )
    output = ops.plan_add(totals, lns.Run(pipeline=lns.Pipeline(name="p")), ops.Ledger())[-1].event
    assert isinstance(output, events.OutputRegistered)
    got = [
        (c.field, [(i.dobject_id, i.field, i.transformation) for i in c.inputs])
        for c in output.column_lineage or ()
    ]
    assert got == [
        ("total", [(orders.id, "amount", "DIRECT/AGGREGATION")]),
        ("customer", [(orders.id, "customer_id", None), (customers_id, "id", "INDIRECT/JOIN")]),
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("id", "fields= takes a list"),
        ([{"name": "id", "kind": "int"}], "a field is"),
        ([{"type": "int"}], "a field is"),
        ([("id", "int", "extra")], "a field is a dict, a"),
    ],
)
def test_ill_formed_fields_are_refused(fields: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        parse_fields(fields)  # type: ignore[arg-type]


def test_ten_thousand_fields_are_refused_before_anything_is_planned(tmp_path: Path) -> None:
    table = new_dobject(tmp_path)
    table.fields = parse_fields([(f"column_{i:05}", "string") for i in range(10_000)])
    ledger, run = ops.Ledger(), lns.Run(pipeline=lns.Pipeline(name="p"))
    with pytest.raises(EventTooLarge) as refused:
        ops.plan_add(table, run, ledger)
    message = str(refused.value)
    assert "table.parquet" in message
    assert "10,000 fields" in message
    assert "65,536" in message  # the limit
    assert "pass fewer fields=" in message  # what to trim
    size = int(message.split(" would be ")[1].split(" bytes", maxsplit=1)[0].replace(",", ""))
    assert size > 65_536
    # nothing half-done: the run is not started, the DObject not registered
    assert (run.status, ledger.transforms, ledger.active_runs) == (None, {}, {})
    assert not ledger.dobjects_by_hash


def test_a_few_fields_with_long_descriptions_are_refused_by_size(tmp_path: Path) -> None:
    table = new_dobject(tmp_path)
    table.fields = parse_fields(
        [{"name": f"c{i}", "type": "string", "description": "x" * 1000} for i in range(100)]
    )
    with pytest.raises(EventTooLarge, match=r"bytes > 65,536, the 64 KiB message limit"):
        ops.plan_add(table, lns.Run(pipeline=lns.Pipeline(name="p")), ops.Ledger())
    table.fields = table.fields[:50]  # about 52 KB: fits
    assert ops.plan_add(table, lns.Run(pipeline=lns.Pipeline(name="p")), ops.Ledger())


def test_an_event_built_past_validation_is_still_measured() -> None:
    """The one check is the encoding's: whatever built the event, what would be published
    is measured there (a RunFinished carries at most 4,096 characters of error, so only
    a bug could make this one)."""
    with pytest.raises(EventTooLarge, match=r"RunFinished .* 70,\d{3} bytes, over .* 65,536"):
        ops.message(events.RunFinished, run_id=uuid.uuid4(), status="completed", error="x" * 70_000)


def test_a_column_fed_by_too_many_inputs_is_refused_with_its_size(tmp_path: Path) -> None:
    wide = new_dobject(tmp_path)
    wide.column_lineage = parse_column_lineage(
        {"total": [(str(uuid.UUID(int=i)), "amount") for i in range(600)]}
    )
    ledger, run = ops.Ledger(), lns.Run(pipeline=lns.Pipeline(name="p"))
    with pytest.raises(EventTooLarge, match=r"600 inputs of one field > 512"):
        ops.plan_add(wide, run, ledger)
    assert (run.status, ledger.active_runs) == (None, {})


def test_an_invalid_field_is_refused_from_the_event_bytes(tmp_path: Path) -> None:
    table = new_dobject(tmp_path)
    table.fields = parse_fields([("id", "int64"), ("id", "string")])
    run = lns.Run(pipeline=lns.Pipeline(name="p"))
    with pytest.raises(events.InvalidEvent, match="fields names a field twice"):
        ops.plan_add(table, run, ops.Ledger())
    assert run.status is None
