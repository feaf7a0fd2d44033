"""The `lineageChanges` resolver: arguments checked, then the feed's changes for one root."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final

import strawberry
from graphql import GraphQLError

from graphql_api.change_types import ChangeKind, LineageChange
from graphql_api.changes import MAX_DEPTH, ChangeListener
from graphql_api.context import ApiInfo
from graphql_api.errors import BAD_USER_INPUT, NOT_FOUND, RATE_LIMITED, LineageError
from graphql_api.inputs import LineageDirection, parse_id
from graphql_api.loaders import Loaders
from graphql_api.ratelimit import CALLER_KEY
from graphql_api.subscriptions import _dropped

ALL_KINDS: Final = frozenset(k.value for k in ChangeKind)


def _refuse(code: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


LINEAGE_CHANGES_DESCRIPTION: Final = (
    "The changes that touch one dobject's or run's lineage, once queryable, in sequence "
    "order (docs/reference/watches.md)."
)


async def lineage_changes(  # noqa: PLR0917 - strawberry passes the arguments by name
    info: ApiInfo,
    dobject_id: strawberry.ID | None = None,
    run_id: strawberry.ID | None = None,
    direction: LineageDirection | None = LineageDirection.UPSTREAM,
    depth: int | None = 10,
    kinds: list[ChangeKind] | None = None,
) -> AsyncIterator[LineageChange]:
    """The resolver of `Subscription.lineageChanges` (strawberry names the arguments)."""
    if (dobject_id is None) == (run_id is None):
        raise _refuse(BAD_USER_INPUT, "give exactly one of dobjectId and runId")
    depth = 10 if depth is None else depth
    if not 1 <= depth <= MAX_DEPTH:
        raise _refuse(BAD_USER_INPUT, f"depth must be between 1 and {MAX_DEPTH}, not {depth}")
    kind = "DOBJECT" if dobject_id is not None else "RUN"
    try:
        root = parse_id(dobject_id or run_id or "", "dobjectId" if dobject_id else "runId")
    except LineageError as error:
        raise _refuse(error.code, error.message) from None
    ctx = info.context
    resources = ctx.resources
    feed = resources.changes
    if not await feed.root_exists(kind, root):
        raise _refuse(NOT_FOUND, f"no {kind.lower()} {root}")
    request = ctx.request
    caller = request.scope.get(CALLER_KEY, "-") if request is not None else "-"
    limits = resources.subscription_limits
    if not limits.open.acquire(caller):
        raise _refuse(
            RATE_LIMITED,
            f"too many subscriptions open for this token or address "
            f"(at most {limits.open.limit}: LINEAGE_API_MAX_SUBSCRIPTIONS)",
        )
    listener = ChangeListener(
        root_id=root,
        root_kind=kind,
        direction=(direction or LineageDirection.UPSTREAM).value,
        depth=depth,
        kinds=frozenset(k.value for k in kinds) if kinds else ALL_KINDS,
    )
    try:
        await feed.listen(listener)
        try:
            while True:
                change = await listener.queue.get()
                if change is None or listener.dropped:
                    raise _dropped(listener.queue.maxsize, limits.events.rate)
                await limits.events.pace(caller)
                # each change is resolved as the projection is now, on a connection
                # held only while it is (a subscription may stay open for days)
                ctx.loaders = Loaders(ctx.db)
                yield LineageChange.from_row(change)
                await ctx.db.close()
        finally:
            feed.leave(listener)
            await ctx.db.close()
    finally:
        limits.open.release(caller)
