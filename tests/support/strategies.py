"""Hypothesis strategies for the projector's property tests: small, colliding event sets.

A small universe (few runs, dobjects, transforms, instants) makes collisions likely: two
runs registering one dobject, ties on occurred_at broken by event_id, a run finished
twice, a transform registered with and without a title.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from lineage_core.events import (
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
dobjects = st.builds(
    lambda i, name, size: DObjectRef(id=DOBJECTS[i], name=name, suffix=".csv", size=size),
    st.integers(0, len(DOBJECTS) - 1),
    st.sampled_from(["x", "y"]),
    st.one_of(st.none(), st.integers(0, 10)),
)
runs = st.sampled_from(RUNS)
common = {"event_id": event_ids, "occurred_at": instants, "producer": st.just("test")}

event: st.SearchStrategy[Event] = st.one_of(
    st.builds(TransformRegistered, transform=transforms, **common),
    st.builds(
        RunStarted,
        run_id=runs,
        transform=transforms,
        run_name=st.sampled_from([None, "r1", "r2"]),
        **common,
    ),
    st.builds(InputLoaded, run_id=runs, dobject=dobjects, **common),
    st.builds(OutputRegistered, run_id=runs, dobject=dobjects, **common),
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
