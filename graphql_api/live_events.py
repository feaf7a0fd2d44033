"""The process's one JetStream ordered consumer (deliver NEW) on `lineage.>`, fanned out
to every live subscription's bounded queue.

A consumer per subscription made NATS deliver, and Python decode, every event once per
subscription: 50 subscribers turned 200 events/s into 10,000 deliveries/s. Here each
event is delivered and decoded once per process, then handed to each listener whose
event types it matches with `put_nowait`, so a slow listener never holds the others up.
The consumer starts with the first listener and stops when the last one leaves; the
ordered consumer itself recreates its server-side state after a NATS restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import datetime
from typing import Any, Final

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy
from strawberry.scalars import JSON

from graphql_api.inputs import BigInt
from graphql_api.status_types import LineageEvent
from lineage_core.subjects import STREAM

# an event and its decoded payload, or DROPPED
Item = tuple[LineageEvent, dict[str, Any]] | object
# put in a listener's queue after its last event when it fell a whole queue behind
DROPPED: Final = object()


class Listener:
    """One subscription's queue: (event, its decoded payload) for the wanted types (all
    when None), then DROPPED if it falls `queue_size` events behind (and `dropped` set, so
    the subscription can end without working through the events still queued)."""

    def __init__(self, wanted: set[str] | None, queue_size: int) -> None:
        self.wanted = wanted
        self.queue_size = queue_size
        self.dropped = False
        # one slot more than the events, for DROPPED
        self.queue: asyncio.Queue[Item] = asyncio.Queue(queue_size + 1)


class LiveEvents:
    def __init__(self, js: JetStreamContext) -> None:
        self._js = js
        self._listeners: set[Listener] = set()
        self._sub: JetStreamContext.PushSubscription | None = None
        self._lock = asyncio.Lock()  # subscribe and unsubscribe one at a time
        self._stopping: set[asyncio.Task[None]] = set()  # referenced until done

    def __len__(self) -> int:
        return len(self._listeners)

    async def listen(self, wanted: set[str] | None, queue_size: int) -> Listener:
        listener = Listener(wanted, queue_size)
        async with self._lock:
            if self._sub is None:
                self._sub = await self._js.subscribe(
                    "lineage.>",
                    stream=STREAM,
                    cb=self._on_message,
                    ordered_consumer=True,
                    deliver_policy=DeliverPolicy.NEW,
                )
            self._listeners.add(listener)
        return listener

    async def leave(self, listener: Listener) -> None:
        self._listeners.discard(listener)
        await self._stop_if_idle()

    async def close(self) -> None:
        self._listeners.clear()
        await self._stop_if_idle()

    async def _stop_if_idle(self) -> None:
        async with self._lock:
            if self._listeners or self._sub is None:
                return
            sub, self._sub = self._sub, None
            with contextlib.suppress(Exception):  # a closed connection has nothing to stop
                await sub.unsubscribe()

    async def _on_message(self, msg: Msg) -> None:
        try:
            event = json.loads(msg.data)
            live = _event_of(msg, event)
        except (ValueError, KeyError, TypeError, AttributeError):
            return  # not an event: the projector dead-letters it
        dropped = False
        for listener in tuple(self._listeners):
            if listener.wanted is not None and live.event_type not in listener.wanted:
                continue
            if listener.queue.qsize() >= listener.queue_size:
                # a whole queue behind: end its subscription and stop feeding it, so a
                # client that never reads costs nothing more
                listener.queue.put_nowait(DROPPED)
                listener.dropped = True
                self._listeners.discard(listener)
                dropped = True
                continue
            listener.queue.put_nowait((live, event))
        if dropped and not self._listeners:
            # not awaited here: unsubscribing waits for this callback's own subscription
            task = asyncio.get_running_loop().create_task(self._stop_if_idle())
            self._stopping.add(task)
            task.add_done_callback(self._stopping.discard)


def _event_of(msg: Msg, event: dict[str, Any]) -> LineageEvent:
    return LineageEvent(
        event_id=event["event_id"],
        event_type=event["event_type"],
        run_id=event.get("run_id"),
        occurred_at=datetime.fromisoformat(event["occurred_at"]),
        sequence=BigInt(msg.metadata.sequence.stream),
        payload=JSON(event),
    )
