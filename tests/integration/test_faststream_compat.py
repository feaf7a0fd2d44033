"""What the projector relies on in faststream's batch pull loop
(projector/_faststream_compat.py), against the installed faststream and a real
nats-server. A failure names the internal an upgrade removed or changed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from faststream.nats import JStream, NatsBroker, PullSub

from projector._faststream_compat import WINDOW_OVER, Fetch, wrap_fetch

pytestmark = pytest.mark.integration

BATCH = 7


async def test_the_batch_loop_calls_the_wrapped_fetch_and_survives_a_window_end(
    nats_url: str,
) -> None:
    broker = NatsBroker(nats_url)
    subscriber = broker.subscriber(
        "compat.events",
        stream=JStream("COMPAT", subjects=["compat.>"]),
        durable="compat",
        pull_sub=PullSub(batch_size=BATCH, timeout=0.05, batch=True),
    )
    received: list[Any] = []
    delivered = asyncio.Event()

    @subscriber
    async def handle(body: list[Any]) -> None:
        received.extend(body)
        delivered.set()

    calls: list[int] = []
    tasks: set[asyncio.Task[Any] | None] = set()

    def wrap(fetch: Fetch) -> Fetch:
        async def counted(batch: int = 1, timeout: float | None = 5, **kw: Any) -> Any:
            calls.append(batch)
            tasks.add(asyncio.current_task())
            if len(calls) == 1:
                raise WINDOW_OVER  # must end this window only, not the consume task
            return await fetch(batch=batch, timeout=timeout, **kw)

        return counted

    await broker.start()
    try:
        assert wrap_fetch(subscriber, wrap), (
            "faststream: the started batch pull subscriber has no `subscription.fetch` "
            "(BatchPullStreamSubscriber.subscription)"
        )
        await broker.publish({"n": 1}, "compat.events", stream="COMPAT")
        try:
            await asyncio.wait_for(delivered.wait(), timeout=20)
        except TimeoutError:
            pytest.fail(
                "faststream: BatchPullStreamSubscriber._consume_pull no longer calls "
                "`subscription.fetch` per window or no longer ends a window on "
                f"nats.errors.TimeoutError (fetch calls seen: {calls})"
            )
    finally:
        await broker.stop()
    assert received == [{"n": 1}]
    assert len(tasks) == 1, (
        "faststream: BatchPullStreamSubscriber._consume_pull no longer takes "
        "nats.errors.TimeoutError for the end of a window (its task died and restarted)"
    )
    assert calls[0] == BATCH, (
        "faststream: a window no longer starts with fetch(batch=batch_size) "
        f"(BatchPullStreamSubscriber._consume_pull); calls: {calls}"
    )
