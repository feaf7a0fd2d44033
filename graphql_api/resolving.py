"""How relation fields resolve: through the request's loaders, as of the instant the
object was read at (`info.context.loaders.at(self.as_of)`: None is now), and, where
the request already loaded the value, without a future.

Relation resolvers are plain functions returning the loader's value when this request
already has it, else the loader's future (graphql-core awaits it). That spares a
coroutine per field, which is most of the cost of a page of 100 objects."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

from strawberry.dataloader import DataLoader

F = TypeVar("F", bound=Callable[..., Any])
V = TypeVar("V")
C = TypeVar("C")

CONTEXT_ONLY: Final = "__lineage_context_only__"


def context_only(func: F) -> F:
    """Mark a relation resolver that takes no arguments and reads nothing of `info` but
    `info.context`: the schema then has graphql-core call it directly, with graphql-core's
    info, instead of through strawberry's per-call wrapper (schema.direct_resolvers)."""
    setattr(func, CONTEXT_ONLY, True)
    return func


def now_or_later(loader: DataLoader[uuid.UUID, V], key: uuid.UUID) -> V | Awaitable[V]:
    """The value the request already loaded for `key`, else the loader's future."""
    future = loader.cache_map.get(key)
    if (
        future is not None
        and future.done()
        and not future.cancelled()
        and future.exception() is None
    ):
        return future.result()
    return loader.load(key)


async def _only(pending: Awaitable[object], cls: type[C]) -> C | None:
    value = await pending
    return value if isinstance(value, cls) else None


def of_type(value: object, cls: type[C]) -> C | Awaitable[C | None] | None:
    """`value` (or what it resolves to) if it is a `cls`, else None."""
    if inspect.isawaitable(value):
        return _only(value, cls)
    return value if isinstance(value, cls) else None
