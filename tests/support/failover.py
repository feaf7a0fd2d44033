"""The JetStream failover scenario (docs/reference/deployment.md), shared by the integration
test and bench/bench_failover.py: producers publish through the SDK at a steady rate while the
node leading the LINEAGE stream is killed (-9), restarted later, then the next leader too.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from lineage_core.events import Event, encode
from lineage_core.subjects import subject_for
from producer_sdk.outbox import Outbox
from producer_sdk.publisher import Publisher
from tests.support.cluster import NatsCluster
from tests.support.parts import Part
from tests.support.workload import EVENTS_PER_RUN, run_events


@dataclass
class Failover:
    """One kill of a stream leader, and how long no publish was acknowledged around it."""

    node: str
    killed_at: float
    restarted_at: float | None = None
    election_seconds: float = 0.0  # until another node led the stream
    gap_seconds: float = 0.0  # until a publish sent after the kill was acknowledged


@dataclass
class FailoverReport:
    events: int
    seconds: float
    failovers: list[Failover] = field(default_factory=list)
    acked_at_publish: int = 0  # acknowledged when sent; the rest went through the outbox
    outboxed: int = 0
    projected: int = 0
    duplicates: int = 0
    missing: int = 0
    applied_sequence: int = 0
    stream_sequence: int = 0


def workload(count: int, seed: int) -> list[Event]:
    """`count` valid events (runs of six, the last one cut short)."""
    out: list[Event] = []
    for index in range(count // EVENTS_PER_RUN + 1):
        out.extend(run_events(index, seed=seed))
    return out[:count]


class Producers:
    """`count` SDK publishers (each its own outbox), paced to `rate` events/s in all."""

    def __init__(self, servers: list[str], home: Path, count: int) -> None:
        self.publishers = [
            Publisher(servers, Outbox(home / f"outbox-{i}"), client_name=f"failover-{i}")
            for i in range(count)
        ]
        self.sent = 0
        self.acks: list[tuple[float, float]] = []  # (sent, acknowledged) monotonic times
        self.acked_at_publish = 0

    async def send(self, events: list[Event], rate: float) -> None:
        lanes = len(self.publishers)
        start = time.monotonic()

        async def lane(i: int) -> None:
            publisher = self.publishers[i]
            mine = events[i::lanes]
            for k, event in enumerate(mine):
                due = start + (k * lanes + i) / rate
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                sent_at = time.monotonic()
                sequence = await publisher.publish(
                    subject_for(event.event_type), str(event.event_id), encode(event)
                )
                self.sent += 1
                if sequence is not None:
                    self.acked_at_publish += 1
                    self.acks.append((sent_at, time.monotonic()))

        await asyncio.gather(*(lane(i) for i in range(lanes)))

    async def flush(self, timeout: float) -> int:
        """Send every outbox; the events still in them after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            left = sum([await p.flush() for p in self.publishers])
            if left == 0 or time.monotonic() > deadline:
                return left
            await asyncio.sleep(0.2)

    @property
    def outboxed(self) -> int:
        return sum(p.outboxed for p in self.publishers)

    async def close(self) -> None:
        for p in self.publishers:
            await p.close()


async def _wait_leader(cluster: NatsCluster, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        leader = await cluster.stream_leader()
        if leader is not None:
            return leader
        await asyncio.sleep(0.1)
    raise AssertionError(f"no LINEAGE stream leader within {timeout}s")


async def _wait_progress(producers: Producers, total: int, share: float) -> None:
    # polled: the producers' counters are plain ints the controller reads, no event to set
    while producers.sent < total * share:  # noqa: ASYNC110
        await asyncio.sleep(0.02)


async def _wait_acked_after(producers: Producers, moment: float, total: int) -> None:
    """Until a publish sent after `moment` was acknowledged (or every event was sent)."""

    def acked_again() -> bool:
        return any(sent >= moment for sent, _ in producers.acks[-50:])

    while producers.sent < total and not acked_again():  # noqa: ASYNC110 - polled, as above
        await asyncio.sleep(0.05)


async def _wait_in_sync(cluster: NatsCluster, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not await cluster.stream_in_sync():
        if time.monotonic() > deadline:
            raise AssertionError(f"LINEAGE replicas not in sync within {timeout}s")
        await asyncio.sleep(0.2)


async def _chaos(cluster: NatsCluster, producers: Producers, total: int) -> list[Failover]:
    """Kill the stream leader at 15% of the sends; once publishes are acknowledged again,
    restart it. From 55%, with every replica current again, kill the next leader and
    restart it the same way."""
    failovers = []
    for kill_at in (0.15, 0.55):
        await _wait_progress(producers, total, kill_at)
        await _wait_in_sync(cluster)
        leader = await _wait_leader(cluster)
        node = cluster.node(leader)
        node.kill()
        failover = Failover(leader, time.monotonic())
        failovers.append(failover)
        await _wait_leader(cluster)
        failover.election_seconds = time.monotonic() - failover.killed_at
        await _wait_acked_after(producers, failover.killed_at, total)
        node.start()
        failover.restarted_at = time.monotonic()
    await _wait_in_sync(cluster)
    return failovers


def _gap_after(acks: list[tuple[float, float]], killed_at: float) -> float:
    """How long after the kill a publish sent after it was first acknowledged (a publish
    in flight at the kill may still be acknowledged by the dying leader)."""
    later = [acked for sent, acked in acks if sent >= killed_at]
    return (min(later) - killed_at) if later else float("inf")


async def raw_event_ids(database_url: str) -> tuple[int, set[str]]:
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        rows = await conn.fetch("SELECT event_id::text AS id FROM public.raw_events")
    finally:
        await conn.close()
    return len(rows), {r["id"] for r in rows}


async def run_failover(
    cluster: NatsCluster,
    database_url: str,
    api: Part,
    projector: Part,
    home: Path,
    *,
    events: int,
    rate: float,
    producers: int = 4,
    seed: int = 14,
    settle_timeout: float = 120.0,
) -> FailoverReport:
    """Publish `events` at `rate`/s through the SDK with two leader kills; every event
    ends in the projection once. The projector and the API are running processes."""
    batch = workload(events, seed)
    sending = Producers(cluster.url.split(","), home, producers)
    started = time.monotonic()
    chaos = asyncio.create_task(_chaos(cluster, sending, events))
    try:
        await sending.send(batch, rate)
        failovers = await chaos
    finally:
        chaos.cancel()
    left = await sending.flush(settle_timeout)
    assert left == 0, f"{left} events still in the outboxes after {settle_timeout}s"
    await sending.close()
    for failover in failovers:
        failover.gap_seconds = _gap_after(sending.acks, failover.killed_at)

    wanted = {str(e.event_id) for e in batch}
    deadline = time.monotonic() + settle_timeout
    count, ids = await raw_event_ids(database_url)
    while ids != wanted and time.monotonic() < deadline:
        assert projector.process.poll() is None, projector.output()[-3000:]
        await asyncio.sleep(0.2)
        count, ids = await raw_event_ids(database_url)
    status = await _projection_status(api)
    return FailoverReport(
        events=events,
        seconds=time.monotonic() - started,
        failovers=failovers,
        acked_at_publish=sending.acked_at_publish,
        outboxed=sending.outboxed,
        projected=len(ids & wanted),
        duplicates=count - len(ids),
        missing=len(wanted - ids),
        applied_sequence=int(status["appliedSequence"]),
        stream_sequence=int(status["streamSequence"]),
    )


async def _projection_status(api: Part) -> dict[str, Any]:
    """projectionStatus through the API, read-your-writes up to the stream's end: the API
    must have reconnected to NATS and Postgres by itself."""
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as client:
        query = "{ projectionStatus { appliedSequence streamSequence lag } }"
        first = (await client.post("/graphql", json={"query": query})).json()
        stream = first["data"]["projectionStatus"]["streamSequence"]
        answer = await client.post(
            "/graphql", json={"query": query}, headers={"X-Lineage-Min-Sequence": str(stream)}
        )
        body: dict[str, Any] = answer.json()
        assert "errors" not in body, body
        status: dict[str, Any] = body["data"]["projectionStatus"]
        return status


def describe_report(report: FailoverReport) -> str:
    lines = [
        (
            f"{report.events} events in {report.seconds:.1f}s; "
            f"{report.acked_at_publish} acknowledged at publish, {report.outboxed} via the "
            f"outbox; projected {report.projected}, duplicates {report.duplicates}, "
            f"missing {report.missing}; stream seq {report.stream_sequence}, "
            f"applied {report.applied_sequence}"
        )
    ]
    lines.extend(
        f"  killed stream leader {f.node}: a new leader after {f.election_seconds:.2f}s, "
        f"publishes acknowledged again after {f.gap_seconds:.2f}s (the outbox held them)"
        for f in report.failovers
    )
    return "\n".join(lines)
