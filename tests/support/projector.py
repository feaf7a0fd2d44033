"""Helpers of the projector's integration tests: publish events, wait, dump the projection."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import asyncpg
import nats
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from lineage_core import subjects
from lineage_core.events import Event, encode
from lineage_core.settings import Settings
from lineage_core.streams import ensure_streams
from projector.service import run_projector
from projector.store import Accepted, apply_batch, asyncpg_dsn

# Columns that are the time of projection, not of the events: excluded from comparisons.
_VOLATILE = {"received_at", "updated_at"}
PROJECTION_TABLES = (
    "transforms",
    "runs",
    "dobject_versions",
    "dobject_writes",
    "dobjects",
    "run_inputs",
    "column_edges",
)


async def publish(js: JetStreamContext, events: Iterable[Event], *, msg_id: bool = True) -> int:
    """Publish events in the given order (with Nats-Msg-Id = event_id); the last sequence."""
    last = 0
    futures = []
    for event in events:
        headers = {subjects.MSG_ID_HEADER: str(event.event_id)} if msg_id else None
        futures.append(
            await js.publish_async(
                subjects.subject_for(event.event_type), encode(event), headers=headers
            )
        )
    for fut in futures:
        ack = await fut
        last = max(last, int(ack.seq))
    return last


async def publish_raw(js: JetStreamContext, subject: str, data: bytes) -> int:
    ack = await js.publish(subject, data)
    return int(ack.seq)


async def connect_js(url: str) -> tuple[NatsClient, JetStreamContext]:
    nc = await nats.connect(url)
    js = nc.jetstream()
    await ensure_streams(js)
    return nc, js


async def applied_sequence(database_url: str) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return int(
            await conn.fetchval(
                "SELECT applied_sequence FROM projection.projection_state WHERE id = 1"
            )
        )
    finally:
        await conn.close()


async def wait_applied(database_url: str, sequence: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    seen = -1
    while time.monotonic() < deadline:
        try:
            seen = await applied_sequence(database_url)
        except (OSError, asyncpg.PostgresError):
            seen = -1
        if seen >= sequence:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"projection reached {seen}, not {sequence}, within {timeout}s")


async def dump(database_url: str, schema: str = "projection") -> dict[str, list[tuple[Any, ...]]]:
    """Every projection row (and the raw log's event ids) in a comparable, ordered form."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return await dump_conn(conn, schema)
    finally:
        await conn.close()


async def apply_batches(
    conn: asyncpg.Connection, batches: list[list[Event]], after_sequence: int = 0
) -> int:
    """Apply batches through the live projector's batch transaction, stream sequences
    numbered in delivery order from `after_sequence + 1` (the caller rolls back or keeps
    what it left); the last sequence."""
    sequence = after_sequence
    for batch in batches:
        accepted = []
        for event in batch:
            sequence += 1
            accepted.append(
                Accepted(
                    sequence, subjects.subject_for(event.event_type), encode(event).decode(), event
                )
            )
        await apply_batch(conn, accepted, max_sequence=sequence)
    return sequence


async def dump_conn(conn: asyncpg.Connection, schema: str = "projection") -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for table in PROJECTION_TABLES:
        rows = await conn.fetch(f"SELECT * FROM {schema}.{table}")
        out[table] = sorted(
            tuple((k, str(v)) for k, v in r.items() if k not in _VOLATILE) for r in rows
        )
    raw = await conn.fetch("SELECT event_id, event_type, payload FROM public.raw_events")
    out["raw_events"] = sorted((str(r["event_id"]), r["event_type"], r["payload"]) for r in raw)
    return out


def start_projector(
    nats_url: str, database_url: str, log: Path, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """`lineage projector` as its own process (what `kill -9` tests kill)."""
    env = {
        **os.environ,
        "LINEAGE_NATS_URL": nats_url,
        "LINEAGE_DATABASE_URL": database_url,
        "LINEAGE_HOME": str(log.parent),
        **(extra_env or {}),
    }
    with log.open("ab") as out:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "lineage_cli.main", "projector"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


class PublishGate:
    """How many events `publish_paced` may have published: a test opens it step by step, so
    the stream reaches a given point while the projector runs and never its end before the
    test says so (on a loaded machine a free-running publisher finishes long before a
    restarted projector is up, which then catches up in one batch of 2,000)."""

    def __init__(self, limit: int = 0) -> None:
        self.limit = limit
        self._opened = asyncio.Event()

    def open_to(self, limit: int) -> None:
        self.limit = max(self.limit, limit)
        self._opened.set()

    async def wait(self, index: int) -> None:
        """Return once event number `index` (0-based) may be published."""
        while index >= self.limit:
            self._opened.clear()
            await self._opened.wait()


async def publish_paced(
    js: JetStreamContext, events: list[Event], bad_every: int, gate: PublishGate | None = None
) -> list[tuple[int, Event | None]]:
    """Publish in order, a bad message after every `bad_every` events; (sequence, event).
    With a `gate`, event `i` waits until the gate is open past `i`."""
    sent: list[tuple[int, Event | None]] = []
    for i, event in enumerate(events):
        if gate is not None:
            await gate.wait(i)
        ack = await js.publish(
            subjects.subject_for(event.event_type),
            encode(event),
            headers={subjects.MSG_ID_HEADER: str(event.event_id)},
        )
        sent.append((int(ack.seq), event))
        if i % bad_every == bad_every - 1:
            ack = await js.publish("lineage.run.finished", json.dumps({"bad": i}).encode())
            sent.append((int(ack.seq), None))
        if i % 100 == 99:
            await asyncio.sleep(0.1)  # a steady stream (about 1,000 events/s), not one burst
    return sent


async def apply_in_order(database_url: str, sent: list[tuple[int, Event | None]]) -> None:
    """Apply what `publish_paced` sent as one uninterrupted, in-order batch (the reference)."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        accepted = [
            Accepted(seq, subjects.subject_for(e.event_type), encode(e).decode(), e)
            for seq, e in sent
            if e is not None
        ]
        await apply_batch(conn, accepted, max_sequence=sent[-1][0])
    finally:
        await conn.close()


STOP_TIMEOUT = 60.0


@contextlib.asynccontextmanager
async def projector_running(settings: Settings) -> AsyncIterator[asyncio.Task[None]]:
    """`run_projector` as a task while the body runs; cancelled after it, and it must end
    by that cancellation (a projector that crashed or returned fails the test)."""
    task = asyncio.create_task(run_projector(settings))
    try:
        yield task
    finally:
        task.cancel()
        # bounded: a projector that does not stop fails the test instead of hanging the
        # run (pytest-timeout does not time a teardown after a test that timed out)
        await asyncio.wait({task}, timeout=STOP_TIMEOUT)
        if not task.done():
            raise AssertionError(f"the projector did not stop within {STOP_TIMEOUT:g} s")
        if not task.cancelled():
            task.result()  # raises what crashed it
            raise AssertionError("the projector returned before it was cancelled")


async def delete_streams(url: str) -> None:
    """Delete every JetStream stream of the server: a test module that starts a service on
    a fresh database over the session's nats-server starts it on fresh streams too."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    for info in await js.streams_info():
        await js.delete_stream(str(info.config.name))
    await nc.close()
