"""Live events: the process's one JetStream consumer (live_events.LiveEvents) feeds each
subscription a bounded queue of the events of its types; the transform name is checked
here. A client that falls a whole queue behind is dropped (its subscription ends with
an error) instead of growing memory. What a caller's subscriptions cost is bounded: so
many open at once, so many events a second delivered in all; past the rate they wait,
their queues fill and they are dropped, so subscribers that never read (whose sends
the kernel's buffers absorb) cannot keep the event loop busy."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any, Final

from graphql import GraphQLError

from graphql_api.errors import BAD_USER_INPUT, RATE_LIMITED
from graphql_api.resources import Resources
from graphql_api.status_types import LineageEvent
from lineage_core.subjects import SUBJECT_BY_EVENT_TYPE
from lineage_read.database import Database
from lineage_read.relations import transform_name_of_run

QUEUE_SIZE: Final = 1000
# runs whose transform name a subscription remembers; the oldest are forgotten past this
# (and looked up again if their events come back), so a long-lived subscription does not
# grow with the number of runs it has seen
KNOWN_RUNS: Final = 10_000
SLOW_CONSUMER: Final = "SLOW_CONSUMER"


class TransformNames:
    """Transform name of each run, as far as the projection knows it (the last
    `limit` runs cached)."""

    def __init__(self, database: Database, limit: int = KNOWN_RUNS) -> None:
        self._database = database
        self._limit = limit
        self._known: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._known)

    def learn(self, run_id: str, name: str) -> None:
        self._known.pop(run_id, None)
        self._known[run_id] = name
        if len(self._known) > self._limit:
            del self._known[next(iter(self._known))]  # dicts keep insertion order

    async def of(self, run_id: str) -> str | None:
        if run_id in self._known:
            return self._known[run_id]
        try:
            key = uuid.UUID(run_id)
        except ValueError:
            return None
        name = await transform_name_of_run(self._database, key)
        if name is not None:
            self.learn(run_id, name)  # a run's transform never changes once known
        return name


async def _matches(
    event: dict[str, Any], transform_name: str | None, names: TransformNames
) -> bool:
    if transform_name is None:
        return True
    transform = event.get("transform")
    run_id = event.get("run_id")
    if isinstance(transform, dict) and isinstance(transform.get("name"), str):
        if isinstance(run_id, str):
            names.learn(run_id, transform["name"])
        return bool(transform["name"] == transform_name)
    if not isinstance(run_id, str):
        return False
    return await names.of(run_id) == transform_name


async def lineage_events(
    resources: Resources,
    event_types: list[str] | None,
    transform_name: str | None,
    caller: str,
    queue_size: int = QUEUE_SIZE,
) -> AsyncIterator[LineageEvent]:
    """The events published from now on that pass the filters, in stream order, paced to
    what the caller's subscriptions may receive in all (ratelimit.SubscriptionLimits)."""
    unknown = sorted(set(event_types or ()) - set(SUBJECT_BY_EVENT_TYPE))
    if unknown:
        raise GraphQLError(
            f"unknown event types {unknown}; known: {sorted(SUBJECT_BY_EVENT_TYPE)}",
            extensions={"code": BAD_USER_INPUT},
        )
    limits = resources.subscription_limits
    if not limits.open.acquire(caller):
        raise GraphQLError(
            f"too many subscriptions open for this token or address "
            f"(at most {limits.open.limit}: LINEAGE_API_MAX_SUBSCRIPTIONS)",
            extensions={"code": RATE_LIMITED},
        )
    wanted = set(event_types) if event_types else None
    live = resources.live
    try:
        listener = await live.listen(wanted, queue_size)
        names = TransformNames(resources.db)
        try:
            while True:
                item = await listener.queue.get()
                if listener.dropped or not isinstance(item, tuple):
                    raise _dropped(queue_size, limits.events.rate)
                event, payload = item
                if await _matches(payload, transform_name, names):
                    await limits.events.pace(caller)
                    yield event
        finally:
            await live.leave(listener)
    finally:
        limits.open.release(caller)


def _dropped(queue_size: int, rate: float) -> GraphQLError:
    paced = f"; this token's subscriptions receive at most {rate:g} events/s in all" if rate else ""
    return GraphQLError(
        f"subscriber dropped: more than {queue_size} events were waiting for it{paced}",
        extensions={"code": SLOW_CONSUMER},
    )
