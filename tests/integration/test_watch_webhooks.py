"""Durable watches against a real nats-server, Postgres and HTTP receiver: which changes
reach which watch, the body and signature, order, retries and the failed state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from lineage_core.settings import Settings
from projector.store import asyncpg_dsn
from tests.support.projector import projector_running
from tests.support.waiting import wait_until
from tests.support.watch_story import Story, uid
from tests.support.watch_webhooks import detector_at, summary, tell, watch
from tests.support.webhook import Receiver

pytestmark = pytest.mark.integration


@pytest.fixture
async def projector(nats_url: str, database_url: str) -> AsyncIterator[None]:
    settings = Settings(
        nats_url=nats_url,
        database_url=database_url,
        watch_retry_seconds=3.0,
        watch_backoff_max_seconds=0.5,
    )
    async with projector_running(settings):
        yield


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    yield r
    await r.stop()


def changes(receiver: Receiver) -> list[tuple[str, str | None, int]]:
    return [
        (r.json["change"]["kind"], r.json["change"]["run_id"], r.json["change"]["distance"])
        for r in receiver.delivered()
    ]


async def test_run_changes_reach_the_watches_whose_graph_holds_the_run(
    projector: None, nats_url: str, database_url: str, receiver: Receiver
) -> None:
    s = Story()
    # raw -> r0 -> a -> r1 -> b ; b -> r2 (downstream of b); r9 unrelated
    before = s.start("r0") + s.load("r0", "raw") + s.write("r0", "a")
    before += s.start("r1") + s.load("r1", "a") + s.write("r1", "b")
    await tell(nats_url, database_url, before)
    secret = await watch(
        database_url, "up-of-b", receiver.url, root_kind="DOBJECT", root_id=uid("dobject/b")
    )
    shallow = Receiver()
    await shallow.start()
    await watch(
        database_url,
        "shallow",
        shallow.url,
        root_kind="DOBJECT",
        root_id=uid("dobject/b"),
        depth=1,
        kinds=["RUN_FAILED", "RUN_COMPLETED"],
    )
    after = s.start("r2") + s.load("r2", "b") + s.finish("r2")
    after += s.start("r9") + s.finish("r9", "failed")
    after += s.finish("r0") + s.finish("r1", "failed")
    last = await tell(nats_url, database_url, after)
    await wait_until(lambda: len(receiver.delivered()) >= 2, what="two deliveries")
    await wait_until(lambda: len(shallow.delivered()) >= 1, what="one shallow delivery")
    # the detector has passed every event: nothing more is coming
    await wait_until(lambda: detector_at(database_url, last), what="detector caught up")
    await shallow.stop()

    assert changes(receiver) == [
        ("RUN_COMPLETED", str(uid("run/r0")), 3),
        ("RUN_FAILED", str(uid("run/r1")), 1),
    ]
    assert changes(shallow) == [("RUN_FAILED", str(uid("run/r1")), 1)]
    first = receiver.delivered()[0]
    assert first.signed_by(secret)
    assert first.headers["content-type"] == "application/json"
    assert first.headers["x-lineage-delivery"] == first.json["delivery_id"]
    assert first.json["watch"] == "up-of-b"
    assert set(first.json["change"]) == {
        "kind", "sequence", "occurred_at", "distance", "dobject_id", "version_id", "run_id",
    }  # fmt: skip
    assert first.json["change"]["dobject_id"] is None
    seqs = [r.json["change"]["sequence"] for r in receiver.delivered()]
    assert seqs == sorted(seqs)
    info, rows = await summary(database_url, "up-of-b")
    assert (info.delivered, info.pending, info.failed) == (2, 0, 0)
    assert [d.state for d in rows] == ["delivered", "delivered"]


async def test_a_run_root_is_told_its_own_start_and_finish(
    projector: None, nats_url: str, database_url: str, receiver: Receiver
) -> None:
    s = Story()
    await tell(nats_url, database_url, s.load("r0", "raw"))  # the run exists, not started
    await watch(database_url, "r0", receiver.url, root_kind="RUN", root_id=uid("run/r0"))
    await tell(nats_url, database_url, s.start("r0") + s.start("r0") + s.finish("r0"))
    await wait_until(lambda: len(receiver.delivered()) >= 2, what="two deliveries")
    assert changes(receiver) == [
        ("RUN_STARTED", str(uid("run/r0")), 0),
        ("RUN_COMPLETED", str(uid("run/r0")), 0),
    ]


async def test_a_failing_receiver_is_retried_with_one_delivery_id_then_failed(
    projector: None, nats_url: str, database_url: str, receiver: Receiver
) -> None:
    s = Story()
    await tell(nats_url, database_url, s.start("r0") + s.start("r1"))
    await watch(database_url, "r0", receiver.url, root_kind="RUN", root_id=uid("run/r0"))
    healthy = Receiver()
    await healthy.start()
    await watch(database_url, "r1", healthy.url, root_kind="RUN", root_id=uid("run/r1"))
    receiver.status = 302  # a redirect is a failed attempt, never followed
    receiver.headers_out = {"location": healthy.url}
    await tell(nats_url, database_url, s.finish("r0") + s.finish("r1", "failed"))
    # the other watch is not held up by this one's failing receiver
    await wait_until(lambda: len(healthy.delivered()) == 1, what="the healthy watch delivered")
    assert changes(healthy) == [("RUN_FAILED", str(uid("run/r1")), 0)]
    await healthy.stop()
    info, rows = await wait_until(
        lambda: _failed(database_url, "r0"), timeout=30, what="the delivery failed for good"
    )
    attempts = receiver.received
    assert len(attempts) >= 3
    assert len({a.json["delivery_id"] for a in attempts}) == 1
    assert rows[0].attempts == len(attempts)
    assert rows[0].last_error == "HTTP 302"
    assert (info.delivered, info.pending, info.failed) == (0, 0, 1)
    assert info.last_failure == "HTTP 302"


async def _failed(database_url: str, name: str) -> Any:
    info, rows = await summary(database_url, name)
    return (info, rows) if info.failed else None


async def test_deliveries_go_on_while_the_detector_waits(
    projector: None, nats_url: str, database_url: str, receiver: Receiver
) -> None:
    """Delivery has a session of its own: a detector transaction that waits (here on its
    cursor's lock, held by another session) does not stop the deliveries already
    recorded."""
    s = Story()
    await tell(nats_url, database_url, s.start("r0"))
    await watch(database_url, "r0", receiver.url, root_kind="RUN", root_id=uid("run/r0"))
    receiver.status = 500  # retried every 0.5 s meanwhile
    last = await tell(nats_url, database_url, s.finish("r0"))
    await wait_until(lambda: detector_at(database_url, last), what="the delivery recorded")
    await wait_until(lambda: len(receiver.received) >= 1, what="a first attempt")
    blocker = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await blocker.execute("BEGIN")
        await blocker.execute("SELECT 1 FROM public.watch_detector WHERE id = 1 FOR UPDATE")
        await tell(nats_url, database_url, s.start("r1"))  # the detector wakes and waits
        await asyncio.sleep(1.5)
        receiver.status = 200
        await wait_until(lambda: len(receiver.delivered()) == 1, timeout=10, what="delivered")
    finally:
        await blocker.close()
    assert changes(receiver) == [("RUN_COMPLETED", str(uid("run/r0")), 0)]
