"""Any order, any duplication, any batching of an event set gives the same projection (Postgres).

The set-based upserts of store.py are checked here against the database itself: every
permutation with duplicates, cut into arbitrary batches, must leave the same tables as
the ordered set applied one event at a time.
"""

from __future__ import annotations

import itertools
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage_core.events import Event
from projector.store import asyncpg_dsn
from tests.support.projector import apply_batches, dump_conn
from tests.support.strategies import event_sets, shuffled_with_duplicates, v2_event_sets

pytestmark = pytest.mark.integration


async def _project(conn: asyncpg.Connection, batches: list[list[Event]]) -> dict[str, Any]:
    """Apply batches (stream sequences in delivery order), dump, and roll everything back.

    A write's stream sequence is where its event was delivered, so it is the one column
    that may differ between deliveries; everything else must not."""
    tx = conn.transaction()
    await tx.start()
    try:
        await apply_batches(conn, batches)
        dumped = await dump_conn(conn)
    finally:
        await tx.rollback()
    dumped["dobject_writes"] = sorted(
        tuple(c for c in row if c[0] != "sequence") for row in dumped["dobject_writes"]
    )
    return dumped


def _cut(events: list[Event], cuts: list[int]) -> list[list[Event]]:
    bounds = sorted({0, len(events), *(c % (len(events) + 1) for c in cuts)})
    return [events[a:b] for a, b in itertools.pairwise(bounds)]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), events=event_sets)
async def test_every_permutation_with_duplicates_projects_like_the_ordered_set(
    database_url: str, data: st.DataObject, events: list[Event]
) -> None:
    delivered = data.draw(shuffled_with_duplicates(events))
    cuts = data.draw(st.lists(st.integers(0, 60), max_size=6))
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        ordered = sorted(events, key=lambda e: (e.occurred_at, e.event_id))
        expected = await _project(conn, [[e] for e in ordered])
        assert await _project(conn, [ordered]) == expected
        assert await _project(conn, _cut(delivered, cuts)) == expected
    finally:
        await conn.close()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), events=v2_event_sets)
async def test_parents_fields_and_column_edges_do_not_depend_on_arrival(
    database_url: str, data: st.DataObject, events: list[Event]
) -> None:
    """One event per transaction, in any order: a late earlier event replaces what a later
    one left (column edges are deleted and inserted again in the same transaction)."""
    delivered = data.draw(shuffled_with_duplicates(events))
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        ordered = sorted(events, key=lambda e: (e.occurred_at, e.event_id))
        expected = await _project(conn, [ordered])
        # Every OutputRegistered of the strategy carries column lineage.
        assert bool(expected["column_edges"]) == any(
            e.event_type == "OutputRegistered" for e in events
        )
        assert await _project(conn, [[e] for e in delivered]) == expected
    finally:
        await conn.close()
