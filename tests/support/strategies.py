"""Hypothesis strategies for the projector's property tests: small, colliding event sets.

A small universe (few runs, dobjects, transforms, instants) makes collisions likely: two
runs registering one dobject, ties on occurred_at broken by event_id, a run finished
twice, a transform registered with and without a title. Version 2 fields collide too:
parents among the same runs (self and cycles included), two schemas for one dobject,
column lineage from several registrations of one dobject, naming dobjects that never
appear in the set.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from lineage_core.events import (
    ColumnInput,
    ColumnLineage,
    DatasetField,
    DObjectRef,
    Event,
    InputLoaded,
    OutputRegistered,
    RunFinished,
    RunStarted,
    Transform,
    TransformRegistered,
)
from lineage_core.ids import transform_id

RUNS = [uuid.UUID(int=0xA000 + i) for i in range(4)]
DOBJECTS = [uuid.UUID(int=0xD000 + i) for i in range(5)]
BASE = datetime(2026, 3, 1, tzinfo=UTC)

instants = st.integers(0, 5).map(lambda s: BASE + timedelta(seconds=s))
event_ids = st.integers(1, 2**64).map(lambda n: uuid.UUID(int=n))
transforms = st.builds(
    lambda kind, name, title: Transform(
        id=transform_id(kind, name, "1"), type=kind, name=name, version="1", title=title
    ),
    st.sampled_from(["notebook", "pipeline"]),
    st.sampled_from(["a", "b"]),
    st.sampled_from([None, "Title 1", "Title 2"]),
)
# Version 3: a hash and a label each from a tiny set, so two registrations often claim
# one version (same hash or label), a load often names a version by hash or label that
# is written late or never, and a hashless, labelless write is a version of its run.
dobjects = st.builds(
    lambda i, name, size, hash_, label: DObjectRef(
        id=DOBJECTS[i], name=name, suffix=".csv", size=size, hash=hash_, version=label
    ),
    st.integers(0, len(DOBJECTS) - 1),
    st.sampled_from(["x", "y"]),
    st.one_of(st.none(), st.integers(0, 10)),
    st.sampled_from([None, None, "h1", "h2"]),
    st.sampled_from([None, None, "v1", "v2"]),
)
runs = st.sampled_from(RUNS)
# A parent may be a run of the set (itself included) or one never seen otherwise.
parents = st.one_of(st.none(), runs, st.just(uuid.UUID(int=0xAFFF)))
field_names = st.sampled_from(["a", "b", "address.city"])
schemas = st.one_of(
    st.none(),
    st.lists(
        st.builds(
            DatasetField,
            name=field_names,
            type=st.sampled_from([None, "string", "int"]),
            description=st.sampled_from([None, "d"]),
        ),
        max_size=3,
        unique_by=lambda f: f.name,
    ).map(tuple),
)
# Inputs may name a dobject outside the set (0xDFFF): it may appear later, or never.
column_inputs = st.builds(
    ColumnInput,
    dobject_id=st.sampled_from([*DOBJECTS[:2], uuid.UUID(int=0xDFFF)]),
    field=field_names,
    transformation=st.sampled_from([None, "DIRECT/IDENTITY", "DIRECT/IDENTITY, INDIRECT/FILTER"]),
)


def _column_lineage_lists(min_size: int) -> st.SearchStrategy[tuple[ColumnLineage, ...]]:
    return st.lists(
        st.builds(
            ColumnLineage,
            field=field_names,
            inputs=st.lists(
                column_inputs, min_size=1, max_size=3, unique_by=lambda i: (i.dobject_id, i.field)
            ).map(tuple),
        ),
        min_size=min_size,
        max_size=3,
        unique_by=lambda c: c.field,
    ).map(tuple)


column_lineages = st.one_of(st.none(), _column_lineage_lists(0))
# drawn directly rather than filtered: filtering out None and () rejected most draws,
# and Hypothesis's filter_too_much health check failed the test now and then
some_column_lineage = _column_lineage_lists(1)
common = {"event_id": event_ids, "occurred_at": instants, "producer": st.just("test")}

event: st.SearchStrategy[Event] = st.one_of(
    st.builds(TransformRegistered, transform=transforms, **common),
    st.builds(
        RunStarted,
        run_id=runs,
        transform=transforms,
        run_name=st.sampled_from([None, "r1", "r2"]),
        parent_run_id=parents,
        **common,
    ),
    st.builds(InputLoaded, run_id=runs, dobject=dobjects, fields=schemas, **common),
    st.builds(
        OutputRegistered,
        run_id=runs,
        dobject=dobjects,
        fields=schemas,
        column_lineage=column_lineages,
        **common,
    ),
    st.builds(
        RunFinished,
        run_id=runs,
        status=st.sampled_from(["completed", "failed"]),
        error=st.sampled_from([None, "boom"]),
        **common,
    ),
)


def unique_by_id(events: list[Event]) -> list[Event]:
    seen: dict[uuid.UUID, Event] = {}
    for e in events:
        seen.setdefault(e.event_id, e)
    return list(seen.values())


event_sets = st.lists(event, min_size=1, max_size=25).map(unique_by_id)


@st.composite
def shuffled_with_duplicates(draw: st.DrawFn, events: list[Event]) -> list[Event]:
    """Any order, any duplication of `events` (every event at least once)."""
    extra = draw(st.lists(st.sampled_from(events), max_size=len(events)))
    return draw(st.permutations(events + extra))


# Version 2 events only, on two dobjects and two runs: the rules for parents, fields and
# column lineage meet each other often (several registrations of one dobject with lineage).
v2_event: st.SearchStrategy[Event] = st.one_of(
    st.builds(
        RunStarted,
        run_id=st.sampled_from(RUNS[:2]),
        transform=transforms,
        parent_run_id=parents,
        **common,
    ),
    st.builds(
        OutputRegistered,
        run_id=st.sampled_from(RUNS[:2]),
        dobject=dobjects.map(lambda d: d.model_copy(update={"id": DOBJECTS[d.id.int % 2]})),
        fields=schemas,
        column_lineage=some_column_lineage,
        **common,
    ),
)
v2_event_sets = st.lists(v2_event, min_size=2, max_size=10).map(unique_by_id)


# The fields each schema version added, by event type (nested ones as "dobject.x").
_NEWER_FIELDS: dict[int, dict[str, tuple[str, ...]]] = {
    2: {"RunStarted": ("parent_run_id",), "OutputRegistered": ("fields", "column_lineage")},
    3: {"InputLoaded": ("fields", "dobject.version"), "OutputRegistered": ("dobject.version",)},
}


def oldest_version(event: Event) -> int:
    """The oldest schema_version that can carry this event's fields."""
    oldest = 1
    for version, by_type in _NEWER_FIELDS.items():
        for name in by_type.get(event.event_type, ()):
            owner: object = event
            for part in name.split("."):
                owner = getattr(owner, part)
            if owner is not None:
                oldest = version
    return oldest


@st.composite
def with_old_versions(draw: st.DrawFn, events: list[Event]) -> list[Event]:
    """Each event sent as any schema_version that can carry it: v1, v2 and v3 mixed."""
    return [
        e.model_copy(update={"schema_version": draw(st.integers(oldest_version(e), 3))})
        for e in events
    ]


# Loads and writes only, on two dobjects, three runs and four instants: ties in time,
# two versions sharing a label, rollbacks and late versions that rebind a load are common.
_versioned = st.builds(
    lambda i, hash_, label, size: DObjectRef(
        id=DOBJECTS[i], name="x", suffix=".csv", hash=hash_, version=label, size=size
    ),
    st.integers(0, 1),
    st.sampled_from([None, "h1", "h2"]),
    st.sampled_from([None, "v1", "v2"]),
    st.sampled_from([None, 1, 2]),
)
_version_common = {
    "event_id": event_ids,
    "occurred_at": st.integers(0, 3).map(lambda s: BASE + timedelta(seconds=s)),
    "producer": st.just("test"),
}
version_event: st.SearchStrategy[Event] = st.one_of(
    st.builds(InputLoaded, run_id=st.sampled_from(RUNS[:3]), dobject=_versioned, **_version_common),
    st.builds(
        OutputRegistered,
        run_id=st.sampled_from(RUNS[:3]),
        dobject=_versioned,
        fields=schemas,
        **_version_common,
    ),
)


@st.composite
def with_rival_claims(draw: st.DrawFn, events: list[Event]) -> list[Event]:
    """Some registrations claimed again at the same instant by another run, with another
    label, size and schema: several registrations of one version (one hash, or one
    label), where only the (occurred_at, event_id) tie-break says whose attributes it has."""
    rivals: list[Event] = []
    for e in events:
        if isinstance(e, OutputRegistered) and draw(st.booleans()):
            label = draw(st.sampled_from([None, "v1", "v2"]))
            rivals.append(
                e.model_copy(
                    update={
                        "event_id": draw(event_ids),
                        "run_id": draw(st.sampled_from(RUNS[:3])),
                        # a labelled, hashless version keeps its label: its key
                        "dobject": e.dobject.model_copy(
                            update={
                                "version": e.dobject.version if e.dobject.hash is None else label,
                                "size": draw(st.sampled_from([None, 1, 2])),
                            }
                        ),
                        "fields": draw(schemas),
                    }
                )
            )
    return unique_by_id([*events, *rivals])


version_event_sets = (
    st.lists(version_event, min_size=2, max_size=14).map(unique_by_id).flatmap(with_rival_claims)
)
