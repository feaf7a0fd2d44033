"""apply.py: events -> rows, pure. The projection rules, whatever order events arrive in."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from lineage_core.events import (
    ColumnInput,
    ColumnLineage,
    DatasetField,
    Event,
    InputLoaded,
    OutputRegistered,
    RunFinished,
    RunStarted,
)
from lineage_core.ids import dobject_version_id
from projector.apply import fold
from tests.support.strategies import event_sets, shuffled_with_duplicates
from tests.support.workload import pipeline, run_events

T0 = datetime(2026, 1, 1, tzinfo=UTC)
RUN = uuid.UUID(int=1)


def test_one_run_gives_its_rows() -> None:
    rows = fold(run_events(0))
    (run,) = rows.runs.values()
    assert run.status == "COMPLETED"
    assert run.start is not None
    assert run.start.name == "run 0"
    assert run.first_seen_at == T0
    assert len(rows.dobjects) == 4
    assert len(rows.run_inputs) == 2
    assert len(rows.transforms) == 1
    written = {rows.dobjects[v.dobject_id].name: v for v in rows.versions.values()}
    assert "raw_0" not in written
    assert written["out_0_0"].run_id == run.id
    assert {w.version_id for w in rows.writes.values()} == set(rows.versions)


def test_finished_before_started_keeps_both() -> None:
    started, *_, finished = run_events(0)
    rows = fold([finished, started])
    (run,) = rows.runs.values()
    assert run.status == "COMPLETED"
    assert run.start is not None
    assert run.start.transform_id == started.transform.id


def test_a_run_known_only_from_an_output_is_a_started_stub() -> None:
    output = run_events(0)[3]
    (run,) = fold([output]).runs.values()
    assert run.status == "STARTED"
    assert run.start is None


def test_the_earliest_run_finished_is_final() -> None:
    first = RunFinished(
        event_id=uuid.uuid4(),
        occurred_at=T0,
        producer="p",
        run_id=RUN,
        status="failed",
        error="boom",
    )
    later = RunFinished(
        event_id=uuid.uuid4(),
        occurred_at=T0 + timedelta(seconds=1),
        producer="p",
        run_id=RUN,
        status="completed",
    )
    for order in ([first, later], [later, first]):
        (run,) = fold(order).runs.values()
        assert (run.status, run.finish.error) == ("FAILED", "boom")


def test_the_earliest_registration_of_a_version_is_its_producer_ties_by_event_id() -> None:
    """Three runs register the same bytes: one version, produced by the earliest."""
    d = run_events(0)[3].dobject.model_copy(update={"hash": "same"})
    a, b, c = (uuid.UUID(int=n) for n in (10, 11, 12))
    events: list[Event] = [
        OutputRegistered(
            event_id=uuid.UUID(int=9),
            occurred_at=T0 + timedelta(seconds=1),
            producer="p",
            run_id=a,
            dobject=d,
        ),
        OutputRegistered(
            event_id=uuid.UUID(int=8), occurred_at=T0, producer="p", run_id=b, dobject=d
        ),
        OutputRegistered(
            event_id=uuid.UUID(int=7), occurred_at=T0, producer="p", run_id=c, dobject=d
        ),
    ]
    for order in (events, events[::-1]):
        rows = fold(order)
        (row,) = rows.dobjects.values()
        (version,) = rows.versions.values()
        assert (version.run_id, version.created_event_id) == (c, uuid.UUID(int=7))
        assert version.id == dobject_version_id(d.id, "hash:same")
        assert row.created_at == T0
        assert len(rows.writes) == 3


def test_a_version_is_keyed_by_hash_then_label_then_run() -> None:
    d = run_events(0)[3].dobject
    plain = d.model_copy(update={"hash": None})
    cases = [
        (d.model_copy(update={"hash": "h", "version": "v1"}), "hash:h"),
        (plain.model_copy(update={"version": "v1"}), "label:v1"),
        (plain, f"run:{RUN}"),
    ]
    for n, (dobject, key) in enumerate(cases):
        event = OutputRegistered(
            event_id=uuid.UUID(int=n + 1), occurred_at=T0, producer="p", run_id=RUN, dobject=dobject
        )
        (version,) = fold([event]).versions.values()
        assert version.key == key
        assert version.id == uuid.uuid5(uuid.NAMESPACE_URL, f"lineage:dobject-version/{d.id}/{key}")


def test_the_earliest_input_load_is_the_edge() -> None:
    d = run_events(0)[1].dobject
    late = InputLoaded(
        event_id=uuid.uuid4(),
        occurred_at=T0 + timedelta(seconds=5),
        producer="p",
        run_id=RUN,
        dobject=d,
    )
    early = InputLoaded(event_id=uuid.uuid4(), occurred_at=T0, producer="p", run_id=RUN, dobject=d)
    (edge,) = fold([late, early]).run_inputs.values()
    assert edge.event_id == early.event_id


def test_the_earliest_run_started_sets_the_transform() -> None:
    one = RunStarted(
        event_id=uuid.uuid4(), occurred_at=T0, producer="p", run_id=RUN, transform=pipeline("one")
    )
    two = RunStarted(
        event_id=uuid.uuid4(),
        occurred_at=T0 + timedelta(seconds=1),
        producer="p",
        run_id=RUN,
        transform=pipeline("two"),
    )
    (run,) = fold([two, one]).runs.values()
    assert run.start is not None
    assert run.start.transform_id == pipeline("one").id
    assert len(fold([two, one]).transforms) == 2


def _split(events: list[Event], cuts: list[int]) -> list[list[Event]]:
    bounds = sorted({0, len(events), *(c % (len(events) + 1) for c in cuts)})
    return [events[a:b] for a, b in itertools.pairwise(bounds)]


@settings(max_examples=300, deadline=None)
@given(data=st.data(), events=event_sets)
def test_any_order_any_duplication_any_batching_folds_the_same(
    data: st.DataObject, events: list[Event]
) -> None:
    shuffled = data.draw(shuffled_with_duplicates(events))
    cuts = data.draw(st.lists(st.integers(0, 60), max_size=5))
    # Folding batch by batch and merging is what consecutive transactions do.
    merged = fold([])
    for batch in _split(shuffled, cuts):
        rows = fold(batch)
        for r in rows.transforms.values():
            merged.add_transform(r)
        for r2 in rows.runs.values():
            merged.add_run(r2)
        for r3 in rows.dobjects.values():
            merged.add_dobject(r3)
        for r4 in rows.run_inputs.values():
            merged.add_input(r4)
        for r5 in rows.column_lineage.values():
            merged.add_column_lineage(r5)
        for r6 in rows.versions.values():
            merged.add_version(r6)
        for r7 in rows.writes.values():
            merged.add_write(r7)
    assert merged == fold(events)


# --- version 2: parents, fields, column lineage ----------------------------------------


def _started(run: uuid.UUID, at: int, parent: uuid.UUID | None, event: int) -> RunStarted:
    template = run_events(0)[0]
    assert isinstance(template, RunStarted)
    return template.model_copy(
        update={
            "run_id": run,
            "occurred_at": T0 + timedelta(seconds=at),
            "event_id": uuid.UUID(int=event),
            "parent_run_id": parent,
        }
    )


def _output(
    at: int,
    event: int,
    fields: tuple[DatasetField, ...] | None = None,
    lineage: tuple[ColumnLineage, ...] | None = None,
) -> OutputRegistered:
    template = run_events(0)[3]
    assert isinstance(template, OutputRegistered)
    return template.model_copy(
        update={
            "occurred_at": T0 + timedelta(seconds=at),
            "event_id": uuid.UUID(int=event),
            "fields": fields,
            "column_lineage": lineage,
        }
    )


def test_a_parent_not_seen_yet_is_a_stub_and_the_earliest_run_started_decides() -> None:
    parent, other = uuid.UUID(int=100), uuid.UUID(int=101)
    first, later = _started(RUN, 1, parent, 10), _started(RUN, 2, other, 11)
    for order in ([first, later], [later, first]):
        rows = fold(order)
        assert rows.runs[RUN].start is not None
        assert rows.runs[RUN].start.parent_run_id == parent
        assert rows.runs[parent].status == "STARTED"
        assert rows.runs[parent].start is None
    # A run naming itself is stored as sent.
    (run,) = fold([_started(RUN, 1, RUN, 12)]).runs.values()
    assert run.start is not None
    assert run.start.parent_run_id == RUN


def test_the_earliest_registration_carrying_fields_gives_the_fields() -> None:
    a = (DatasetField(name="a", type="int"), DatasetField(name="address.city"))
    b = (DatasetField(name="b"),)
    events = [_output(1, 20), _output(2, 21, fields=a), _output(3, 22, fields=b)]
    for order in itertools.permutations(events):
        (d,) = fold(order).dobjects.values()
        assert d.created_event_id == uuid.UUID(int=20)
        assert d.schema is not None
        assert d.schema.event_id == uuid.UUID(int=21)
        assert d.schema.fields == (
            '[{"name":"a","type":"int","description":null},'
            '{"name":"address.city","type":null,"description":null}]'
        )


def test_column_lineage_comes_from_the_earliest_registration_carrying_some() -> None:
    src = uuid.UUID(int=0xD1)
    first = (
        ColumnLineage(
            field="a",
            inputs=(
                ColumnInput(dobject_id=src, field="x", transformation="DIRECT/IDENTITY"),
                ColumnInput(dobject_id=src, field="y"),
            ),
        ),
    )
    later = (ColumnLineage(field="b", inputs=(ColumnInput(dobject_id=src, field="z"),)),)
    events = [
        _output(1, 30, lineage=()),
        _output(2, 31, lineage=first),
        _output(3, 32, lineage=later),
    ]
    for order in itertools.permutations(events):
        (row,) = fold(order).column_lineage.values()
        assert row.event_id == uuid.UUID(int=31)
        assert row.edges == (("a", src, "x", "DIRECT/IDENTITY"), ("a", src, "y", None))
