"""The detector's walk skips changes at nodes no watched root can reach: it must find
exactly the deliveries of the walk from every change, for every direction and root kind,
and with an edge made after the change it concerns."""

from __future__ import annotations

import asyncpg
import pytest

from lineage_read import watch_reach
from projector.store import asyncpg_dsn
from tests.support.waiting import wait_until
from tests.support.watch_story import Story, uid
from tests.support.watch_webhooks import detector_at, tell, watch
from tests.support.webhook import Receiver

pytestmark = pytest.mark.integration

ROWS = """SELECT w.name, d.sequence, d.ordinal, d.kind, d.distance
            FROM public.watch_deliveries d JOIN public.watches w ON w.id = d.watch_id
           ORDER BY 1, 2, 3"""


async def _walked(conn: asyncpg.Connection, last: int, bound: int) -> list[tuple[object, ...]]:
    """The deliveries of (0, last] as the statement finds them with watched-walk bound
    `bound` (0: never pruned), in a transaction rolled back."""
    tx = conn.transaction()
    await tx.start()
    try:
        await conn.execute("DELETE FROM public.watch_deliveries")
        depth = int(await conn.fetchval(watch_reach.MAX_WATCH_DEPTH))
        await conn.execute(watch_reach.INSERT_DELIVERIES, 0, last, depth, bound)
        return [tuple(r) for r in await conn.fetch(ROWS)]
    finally:
        await tx.rollback()


async def test_pruned_walk_finds_the_same_deliveries_as_the_walk_from_every_change(
    projector: object, nats_url: str, database_url: str
) -> None:
    receiver = Receiver()
    await receiver.start()
    s = Story()
    # raw -> r0 -> a -> r1 -> b -> r2 -> c ; then r4 loads c, r3 loads b after its start,
    # r9 -> z unrelated, and a new version of a makes b stale
    graph = s.start("r0") + s.load("r0", "raw") + s.write("r0", "a", hash="h1")
    graph += s.start("r1") + s.load("r1", "a") + s.write("r1", "b")
    graph += s.start("r2") + s.load("r2", "b") + s.write("r2", "c")
    graph += s.start("q0") + s.write("q0", "p")  # p's only watch is one hop deep
    await tell(nats_url, database_url, graph)
    roots = {
        "up-of-c": ("DOBJECT", "dobject/c", "UPSTREAM", 10),
        "down-of-a": ("DOBJECT", "dobject/a", "DOWNSTREAM", 10),
        "both-of-r1": ("RUN", "run/r1", "BOTH", 10),
        "shallow-up-of-b": ("DOBJECT", "dobject/b", "UPSTREAM", 1),
        "shallow-up-of-p": ("DOBJECT", "dobject/p", "UPSTREAM", 1),
    }
    for name, (kind, root, direction, depth) in roots.items():
        await watch(
            database_url,
            name,
            receiver.url,
            root_kind=kind,
            root_id=uid(root),
            direction=direction,
            depth=depth,
        )
    events = s.finish("r0") + s.finish("r1") + s.finish("r2")
    events += s.start("r3") + s.start("r4") + s.load("r4", "c") + s.write("r4", "e")
    events += s.load("r3", "b") + s.write("r3", "d") + s.finish("r3", "failed")
    events += s.start("r9") + s.write("r9", "z") + s.finish("r9")
    events += s.write("r0", "a", hash="h2") + s.finish("r4") + s.finish("q0")
    last = await tell(nats_url, database_url, events)
    await wait_until(lambda: detector_at(database_url, last), what="detector caught up")
    await receiver.stop()

    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        recorded = [tuple(r) for r in await conn.fetch(ROWS)]
        every_change = await _walked(conn, last, 0)
        pruned = await _walked(conn, last, 1_000_000)
    finally:
        await conn.close()
    assert every_change == recorded
    assert pruned == recorded
    assert {r[0] for r in recorded} == set(roots)  # every watch was told something
    kinds = {(r[0], r[3]) for r in recorded}
    # r3 and r4 loaded their inputs after they started: their starts told no one
    assert not any(kind == "RUN_STARTED" for _, kind in kinds)
    assert ("down-of-a", "RUN_FAILED") in kinds
    assert ("up-of-c", "BECAME_STALE") in kinds
