"""The set-based rebuild (projector/rebuild_sql.py) and the live projector agree, row for row.

The projection rules exist as the Python fold, its ON CONFLICT upserts and the rebuild's
SQL. For generated event sets (any order, duplicates, late RunStarted, two runs claiming
one output, ties broken by event_id) the live projector's tables, however the events were
batched, must equal the tables the rebuild makes from the raw log those batches left.
"""

from __future__ import annotations

import re

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage_core.events import Event
from projector.rebuild_sql import StepReport, fill_projection
from projector.store import asyncpg_dsn
from tests.support.projector import PROJECTION_TABLES, apply_batches, dump_conn
from tests.support.strategies import event_sets, shuffled_with_duplicates, v2_event_sets

pytestmark = pytest.mark.integration

CHECK_SCHEMA = "projection_check"


async def _live_then_rebuilt(
    conn: asyncpg.Connection, batches: list[list[Event]]
) -> tuple[dict[str, list[object]], dict[str, list[object]], list[StepReport]]:
    tx = conn.transaction()
    await tx.start()
    try:
        await apply_batches(conn, batches)
        live = await dump_conn(conn)
        await conn.execute(f"CREATE SCHEMA {CHECK_SCHEMA}")
        for table in PROJECTION_TABLES:
            await conn.execute(
                f"CREATE TABLE {CHECK_SCHEMA}.{table} (LIKE projection.{table} INCLUDING ALL)"
            )
        steps: list[StepReport] = []
        await fill_projection(conn, CHECK_SCHEMA, steps.append)
        rebuilt = await dump_conn(conn, CHECK_SCHEMA)
        # the keys and indexes dropped for the fill are all back, as declared
        live["indexes"] = await _indexes(conn, "projection")
        rebuilt["indexes"] = await _indexes(conn, CHECK_SCHEMA)
        return live, rebuilt, steps
    finally:
        await tx.rollback()


async def _indexes(conn: asyncpg.Connection, schema: str) -> list[object]:
    rows = await conn.fetch(
        "SELECT tablename, indexname, indexdef FROM pg_indexes "
        "WHERE schemaname = $1 AND tablename = ANY($2::text[])",
        schema,
        list(PROJECTION_TABLES),
    )
    # names differ (CREATE TABLE ... LIKE names them anew); what they index must not
    return sorted(  # type: ignore[return-value]
        (r["tablename"], re.sub(r"INDEX \S+ ON \S+", "INDEX ON", r["indexdef"])) for r in rows
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), events=event_sets)
async def test_rebuild_sql_equals_the_live_projection(
    database_url: str, data: st.DataObject, events: list[Event]
) -> None:
    delivered = data.draw(shuffled_with_duplicates(events))
    size = data.draw(st.integers(1, 8))
    batches = [delivered[i : i + size] for i in range(0, len(delivered), size)]
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        live, rebuilt, steps = await _live_then_rebuilt(conn, batches)
    finally:
        await conn.close()
    assert rebuilt == live
    filled = [table for s in steps[:-1] for table in s.table.split(" and ")]
    assert [*filled, steps[-1].table] == [*PROJECTION_TABLES, "keys and indexes"]
    assert sum(s.rows for s in steps[:-1]) == sum(len(live[t]) for t in PROJECTION_TABLES)
    assert len(live["indexes"]) > len(PROJECTION_TABLES)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), events=v2_event_sets)
async def test_rebuild_sql_reproduces_parents_fields_and_column_edges(
    database_url: str, data: st.DataObject, events: list[Event]
) -> None:
    """Version 2 events meeting often: one per batch, in any order, as the live projector
    may see them; the rebuild from the raw log gives the same rows."""
    delivered = data.draw(shuffled_with_duplicates(events))
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        live, rebuilt, _ = await _live_then_rebuilt(conn, [[e] for e in delivered])
    finally:
        await conn.close()
    assert rebuilt == live
