"""Versions, current versions, input binding and staleness as the read model computes them
in SQL equal the rules applied to the events in Python (tests/support/versions_model.py),
whatever the arrival order, batching and duplication, now and as of every instant.

The strategy's tiny universe makes the cases meet: two runs claiming one version (same
hash or label), a version arriving late that was created before a load and so changes
what the load read, a rollback (older bytes written again), loads by hash or label of
versions that never come, and v1, v2 and v3 events mixed. Rival claims of one version
at one instant (one hash or one label, other runs, labels, sizes and schemas) leave
only the (occurred_at, event_id) tie-break to say whose run, label, size and fields the
version keeps, and those are compared too.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage_core.events import DObjectRef, Event, InputLoaded, OutputRegistered
from lineage_core.ids import dobject_version_id
from lineage_read import versions
from projector.store import asyncpg_dsn
from tests.support.projector import apply_batches
from tests.support.strategies import (
    BASE,
    DOBJECTS,
    RUNS,
    event_sets,
    shuffled_with_duplicates,
    version_event_sets,
    with_old_versions,
)
from tests.support.versions_model import model

pytestmark = pytest.mark.integration

INSTANTS = [None, *(BASE.replace(second=s) for s in range(6))]


class _Db:
    """What the read model asks of a request's database: rows of one statement."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def rows(self, sql: str, *params: Any) -> list[asyncpg.Record]:
        return await self.conn.fetch(sql, *params)


async def _read(conn: asyncpg.Connection, at: datetime | None) -> dict[str, Any]:
    db: Any = _Db(conn)
    ids = [r["id"] for r in await conn.fetch("SELECT id FROM projection.dobject_versions")]
    rows = [v for v in await versions.versions(db, ids, at) if v is not None]
    current = await versions.current_versions(db, DOBJECTS, at)
    inputs = await versions.run_input_versions(db, RUNS, at)
    return {
        "versions": {v.id: v.run_id for v in rows},
        # what the earliest registration decides, ties on occurred_at to the lower event id
        "registered": {v.id: (v.created_at, v.size, v.label, _names(v.fields_json)) for v in rows},
        "current": {
            d: c.version_id for d, c in zip(DOBJECTS, current, strict=True) if c.version_id
        },
        "bound": {
            (run, i.dobject_id): i.version_id
            for run, entries in zip(RUNS, inputs, strict=True)
            for i in entries
        },
        "stale": {v.id: v.stale for v in rows},
        "dobject_stale": {
            d: c.stale for d, c in zip(DOBJECTS, current, strict=True) if c.version_id
        },
        "numbers": sorted((v.dobject_id, v.number, v.created_at, v.id) for v in rows),
    }


def _names(fields_json: str | None) -> tuple[str, ...] | None:
    return None if fields_json is None else tuple(f["name"] for f in json.loads(fields_json))


def _expected(events: list[Event], at: datetime | None) -> dict[str, Any]:
    m = model(events, at)
    return {
        "versions": {v.id: v.run_id for v in m.versions.values()},
        "registered": {
            v.id: (v.created[0], v.size, v.label, v.fields) for v in m.versions.values()
        },
        "current": m.current,
        "bound": m.bound,
        "stale": m.stale,
        "dobject_stale": {d: m.stale[v] for d, v in m.current.items()},
    }


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.data(),
    events=st.one_of(event_sets, version_event_sets).flatmap(with_old_versions),
)
async def test_the_read_model_answers_as_the_rules_say(
    database_url: str, data: st.DataObject, events: list[Event]
) -> None:
    delivered = data.draw(shuffled_with_duplicates(events))
    size = data.draw(st.integers(1, 8))
    batches = [delivered[i : i + size] for i in range(0, len(delivered), size)]
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    tx = conn.transaction()
    await tx.start()
    try:
        await apply_batches(conn, batches)
        for at in INSTANTS:
            answer = await _read(conn, at)
            numbers = answer.pop("numbers")
            assert answer == _expected(events, at), at
            # numbers count 1, 2, ... per dobject in (createdAt, id) order
            for d in {n[0] for n in numbers}:
                assert [n[1] for n in numbers if n[0] == d] == list(
                    range(1, 1 + sum(1 for n in numbers if n[0] == d))
                )
    finally:
        await tx.rollback()
        await conn.close()


T = [BASE.replace(second=s) for s in range(6)]
D, OUT = DOBJECTS[0], DOBJECTS[1]
A, B, C, E = RUNS


def _write(n: int, run: uuid.UUID, at: int, hash_: str, dobject: uuid.UUID = D) -> Event:
    return OutputRegistered(
        event_id=uuid.UUID(int=n),
        occurred_at=T[at],
        producer="test",
        run_id=run,
        dobject=DObjectRef(id=dobject, name="d", suffix=".csv", hash=hash_),
    )


async def test_a_late_version_rebinds_a_load_and_a_rollback_makes_its_reader_stale(
    database_url: str,
) -> None:
    """A writes h1 (t0); C writes h2 (t2), but only after B's load (t3) has arrived: the
    load read h2 all the same. E registered h2 first (t1): E produced it, not C. B writes
    its output (t4); A writes h1 again (t5, a rollback): h1 is current, B's output stale."""
    load = InputLoaded(
        event_id=uuid.UUID(int=3),
        occurred_at=T[3],
        producer="test",
        run_id=B,
        dobject=DObjectRef(id=D, name="d", suffix=".csv"),
    )
    h1, h2 = (dobject_version_id(D, f"hash:{h}") for h in ("h1", "h2"))
    out = dobject_version_id(OUT, "hash:o")
    first = [_write(1, A, 0, "h1"), load, _write(4, B, 4, "o", OUT)]
    late = [_write(2, C, 2, "h2"), _write(5, E, 1, "h2")]
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    tx = conn.transaction()
    await tx.start()
    try:
        db: Any = _Db(conn)
        last = await apply_batches(conn, [first])
        (read,) = await versions.run_input_versions(db, [B])
        assert [i.version_id for i in read] == [h1]  # only h1 existed as far as we knew
        last = await apply_batches(conn, [late], last)
        (read,) = await versions.run_input_versions(db, [B])
        assert [i.version_id for i in read] == [h2]
        (v,) = [v for v in await versions.versions(db, [h2]) if v]
        assert (v.run_id, v.number) == (E, 2)
        assert (await versions.current_versions(db, [D]))[0].version_id == h2
        assert not (await versions.current_versions(db, [OUT]))[0].stale
        await apply_batches(conn, [[_write(6, A, 5, "h1")]], last)
        assert (await versions.current_versions(db, [D]))[0].version_id == h1
        assert (await versions.current_versions(db, [OUT]))[0].stale
        (stale,) = await versions.stale_inputs(db, [out])
        assert [(s.dobject_id, s.version_id) for s in stale] == [(D, h2)]
        # as of t4 h2 was still current: nothing was stale then
        assert not (await versions.current_versions(db, [OUT], T[4]))[0].stale
        assert model([*first, *late, _write(6, A, 5, "h1")]).stale[out]
    finally:
        await tx.rollback()
        await conn.close()
