"""Durable watches through crashes: `lineage up` (projector and API in one process) is
killed with SIGKILL twice while deliveries are pending, events keep arriving while it is
down, and the receiver refuses connections for a while; after everything is back, every
change is delivered at least once, none out of order within the watch, and no delivery
is for a change that did not happen."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from lineage_core.ids import dobject_version_id
from projector.store import asyncpg_dsn
from tests.support.metrics import scrape, value
from tests.support.projector import connect_js, publish, wait_applied
from tests.support.service import Service, lineage_command, start_service
from tests.support.waiting import wait_until
from tests.support.watch_story import Story, uid
from tests.support.webhook import Receiver

pytestmark = pytest.mark.e2e

FAST_RETRIES = {"LINEAGE_WATCH_BACKOFF_MAX_SECONDS": "1"}
ROUNDS = 3  # crash rounds; each publishes RUNS runs that write new versions of `a`
RUNS = 8


def lineage(service: Service, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*lineage_command(), *args],
        env=service.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def pending(database_url: str) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM public.watch_deliveries WHERE state = 'pending'"
            )
        )
    finally:
        await conn.close()


async def test_every_change_arrives_in_order_through_kills_and_a_dead_receiver(
    nats_url: str, database_url: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    service = await asyncio.to_thread(start_service, nats_url, database_url, home, FAST_RETRIES)
    receiver = Receiver()
    await receiver.start()
    s = Story()
    nc, js = await connect_js(nats_url)
    try:
        # a (h0) -> r_in -> b: b becomes stale when a gets a newer version
        seed = s.start("r_in") + s.write("r_seed", "a", hash="h0")
        seed += s.load("r_in", "a", hash="h0") + s.write("r_in", "b", hash="hb")
        await wait_applied(database_url, await publish(js, seed))
        made = await asyncio.to_thread(
            lineage, service, "watch", "create", "up-b", "--dobject", str(uid("dobject/b")),
            "--url", receiver.url,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        secret = made.stdout.strip().splitlines()[-1]
        await receiver.stop()  # down from here: every attempt is refused

        expected: list[tuple[str, str | None, str | None, str]] = []
        for k in range(ROUNDS):
            for i in range(RUNS):
                run, h = f"r{k}_{i}", f"h{k}_{i}"
                await publish(js, s.start(run) + s.write(run, "a", hash=h) + s.finish(run))
                await publish(js, s.start(f"noise{k}_{i}") + s.finish(f"noise{k}_{i}"))
                version = str(dobject_version_id(uid("dobject/a"), f"hash:{h}"))
                expected.append(
                    ("NEW_VERSION", str(uid("dobject/a")), version, str(uid(f"run/{run}")))
                )
                if not k and not i:  # b's input is no longer current: stale, once
                    b_version = str(dobject_version_id(uid("dobject/b"), "hash:hb"))
                    expected.append(
                        ("BECAME_STALE", str(uid("dobject/b")), b_version, str(uid("run/r_in")))
                    )
                expected.append(("RUN_COMPLETED", None, None, str(uid(f"run/{run}"))))
            if k == ROUNDS - 1:
                break
            await wait_until(lambda: pending(database_url), what="deliveries pending")
            service.kill()  # SIGKILL: projector and API die mid-work
            # events go on arriving while nothing consumes them
            last = await publish(js, s.start(f"gap{k}") + s.finish(f"gap{k}", "failed"))
            service = await asyncio.to_thread(
                start_service, nats_url, database_url, home, FAST_RETRIES
            )
        await wait_applied(database_url, last)
        await receiver.start()
        deduped: dict[str, dict[str, Any]] = {}
        await wait_until(
            lambda: _all_in(receiver, deduped, len(expected)), timeout=120, what="every change"
        )
        # /metrics of this process: it delivered them all, and nothing is left pending
        metrics_url = f"{service.api_url}/metrics"
        await wait_until(
            lambda: value(scrape(metrics_url), "lineage_watch_pending") == 0, what="none pending"
        )
        samples = scrape(metrics_url)
        delivered = value(samples, "lineage_watch_deliveries_total", result="delivered")
        assert delivered is not None
        assert delivered >= len(expected)
    finally:
        await nc.close()
        service.stop()
        await receiver.stop()

    first_arrivals = list(deduped.values())
    got = [
        (c["kind"], c["dobject_id"], c["version_id"], c["run_id"])
        for c in (d["change"] for d in first_arrivals)
    ]
    assert sorted(got, key=str) == sorted(expected, key=str)  # each once, nothing invented
    sequences = [d["change"]["sequence"] for d in first_arrivals]
    assert sequences == sorted(sequences)  # in order within the watch
    assert all(r.signed_by(secret) for r in receiver.received)
    listed = lineage(service, "watch", "list")
    assert "up-b" in listed.stdout
    assert secret not in listed.stdout


def _all_in(receiver: Receiver, deduped: dict[str, dict[str, Any]], count: int) -> bool:
    for r in receiver.delivered():
        deduped.setdefault(r.json["delivery_id"], r.json)
    return len(deduped) >= count
