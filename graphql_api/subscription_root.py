"""The schema's Subscription type: live events and live lineage changes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import strawberry

from graphql_api.change_subscription import LINEAGE_CHANGES_DESCRIPTION, lineage_changes
from graphql_api.context import ApiInfo
from graphql_api.ratelimit import CALLER_KEY
from graphql_api.status_types import LineageEvent
from graphql_api.subscriptions import lineage_events


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Events as they are published, filtered here.")
    async def lineage_events(
        self, info: ApiInfo, event_types: list[str] | None = None, transform_name: str | None = None
    ) -> AsyncIterator[LineageEvent]:
        request = info.context.request
        caller = request.scope.get(CALLER_KEY, "-") if request is not None else "-"
        events = lineage_events(info.context.resources, event_types, transform_name, caller)
        async for event in events:
            yield event

    lineage_changes = strawberry.subscription(
        resolver=lineage_changes, description=LINEAGE_CHANGES_DESCRIPTION
    )
