"""The version kinds of durable watches (NEW_VERSION, SCHEMA_CHANGED, BECAME_STALE)
against a real projector, Postgres and HTTP receiver."""

from __future__ import annotations

import pytest

from tests.support.waiting import wait_until
from tests.support.watch_story import Story, uid, version
from tests.support.watch_webhooks import detector_at, tell, watch
from tests.support.webhook import Receiver

pytestmark = pytest.mark.integration


async def test_new_versions_schema_changes_and_staleness_upstream(
    projector: None, nats_url: str, database_url: str
) -> None:
    s = Story()
    x, xy = [("x", "int")], [("x", "int"), ("y", "text")]
    # a (written by r0) -> r1 -> b
    before = s.start("r0") + s.write("r0", "a", x, hash="h1")
    before += s.start("r1") + s.load("r1", "a", hash="h1") + s.write("r1", "b", hash="hb")
    await tell(nats_url, database_url, before)
    receiver = Receiver()
    await receiver.start()
    await watch(database_url, "b", receiver.url, root_kind="DOBJECT", root_id=uid("dobject/b"))
    after = s.start("r2") + s.write("r2", "a", xy, hash="h2")  # new, schema changed, b stale
    after += s.write("r2", "a", xy, hash="h2")  # the same version again: nothing
    after += s.finish("r2")
    after += s.start("r3") + s.write("r3", "a", x, hash="h1")  # back to h1: b fresh again
    after += s.start("r4") + s.write("r4", "a", xy, hash="h3")  # new (same schema), b stale
    last = await tell(nats_url, database_url, after)
    await wait_until(lambda: detector_at(database_url, last), what="the detector caught up")
    await wait_until(lambda: len(receiver.delivered()) >= 6, what="six deliveries")
    await receiver.stop()
    got = [
        (
            c["kind"],
            c["dobject_id"],
            c["version_id"],
            c["run_id"],
            c["distance"],
        )
        for c in (r.json["change"] for r in receiver.delivered())
    ]
    a, b = str(uid("dobject/a")), str(uid("dobject/b"))
    b_version = str(version("b", "hash:hb"))
    r1, r2, r4 = (str(uid(f"run/{r}")) for r in ("r1", "r2", "r4"))
    assert got == [
        ("NEW_VERSION", a, str(version("a", "hash:h2")), r2, 2),
        ("SCHEMA_CHANGED", a, str(version("a", "hash:h2")), r2, 2),
        ("BECAME_STALE", b, b_version, r1, 0),
        ("RUN_COMPLETED", None, None, r2, 3),  # r2 joined after its start: no RUN_STARTED
        ("NEW_VERSION", a, str(version("a", "hash:h3")), r4, 2),
        ("BECAME_STALE", b, b_version, r1, 0),
    ]


async def test_a_late_input_binding_an_old_version_makes_the_output_stale(
    projector: None, nats_url: str, database_url: str
) -> None:
    s = Story()
    # a has versions h1 then h2 (current); c has one; r1 wrote b before telling its inputs
    before = s.start("r0") + s.write("r0", "a", hash="h1") + s.write("r0", "c", hash="hc")
    before += s.start("r5") + s.write("r5", "a", hash="h2")
    before += s.start("r1") + s.write("r1", "b", hash="hb")
    await tell(nats_url, database_url, before)
    receiver = Receiver()
    await receiver.start()
    await watch(database_url, "b", receiver.url, root_kind="DOBJECT", root_id=uid("dobject/b"))
    after = s.load("r1", "c", hash="hc")  # binds c's current version: b stays fresh
    after += s.load("r1", "a", hash="h1")  # binds an old version of a: b is stale now
    after += s.finish("r1")
    last = await tell(nats_url, database_url, after)
    await wait_until(lambda: detector_at(database_url, last), what="the detector caught up")
    await wait_until(lambda: len(receiver.delivered()) >= 2, what="two deliveries")
    await receiver.stop()
    got = [
        (c["kind"], c["dobject_id"], c["version_id"], c["run_id"], c["distance"])
        for c in (r.json["change"] for r in receiver.delivered())
    ]
    r1 = str(uid("run/r1"))
    assert got == [
        ("BECAME_STALE", str(uid("dobject/b")), str(version("b", "hash:hb")), r1, 0),
        ("RUN_COMPLETED", None, None, r1, 1),
    ]
