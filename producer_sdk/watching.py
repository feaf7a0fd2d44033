"""Watches from the SDK: the `lineageChanges` subscription over `graphql-transport-ws`
(docs/reference/watches.md), as an iterator for a notebook or a script that waits for new
upstream data.

`Subscription` is the client side of the protocol without I/O (what to send, what each
message from the server means); `Watch` (blocking) and `AsyncWatch` run it over a
WebSocket from the `websockets` package, imported on first use, and convert each change's
GraphQL fields with the function they are given (`producer_sdk.rows`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Generic, Self, TypeVar

from producer_sdk.errors import LineageError, QueryError, ServiceUnreachable, Unauthenticated
from producer_sdk.graphql import endpoint

if TYPE_CHECKING:
    from websockets.typing import Subprotocol
else:

    def Subprotocol(name: str) -> str:  # noqa: N802 - websockets' NewType, without importing it
        return name


T = TypeVar("T")

PROTOCOL: Final = "graphql-transport-ws"
ACK_SECONDS: Final = 10.0  # the server answers connection_init at once, or not at all
KINDS: Final = (
    "NEW_VERSION",
    "SCHEMA_CHANGED",
    "BECAME_STALE",
    "RUN_STARTED",
    "RUN_COMPLETED",
    "RUN_FAILED",
)
DIRECTIONS: Final = ("UPSTREAM", "DOWNSTREAM", "BOTH")
CLOSED_UNAUTHENTICATED: Final = 4401
CLOSED_FORBIDDEN: Final = 4403


def ws_url(api_url: str) -> str:
    """The subscription endpoint of an API base URL: `http://h:p` -> `ws://h:p/graphql`."""
    url = endpoint(api_url)
    if url.startswith("https://"):
        return "wss://" + url.removeprefix("https://")
    return "ws://" + url.removeprefix("http://")


def watch_variables(
    root: str, root_id: str, kinds: list[str] | tuple[str, ...] | None, direction: str, depth: int
) -> dict[str, Any]:
    """The subscription's variables, with clear errors for kinds and directions that do not
    exist (`"new_version"` is `NEW_VERSION`)."""
    out: dict[str, Any] = {f"{root}Id": root_id, "direction": direction.upper(), "depth": depth}
    if out["direction"] not in DIRECTIONS:
        raise TypeError(f"direction= takes one of {', '.join(DIRECTIONS)}, not {direction!r}")
    if kinds is not None:
        if isinstance(kinds, str):
            raise TypeError(f'kinds= takes a list, e.g. kinds=["NEW_VERSION"], not {kinds!r}')
        wanted = [str(k).upper() for k in kinds]
        unknown = [k for k in wanted if k not in KINDS]
        if unknown:
            raise TypeError(f"unknown change kinds {unknown}: use {', '.join(KINDS)}")
        out["kinds"] = wanted
    return out


@dataclass
class Subscription:
    """One `lineageChanges` subscription, as the protocol's messages."""

    url: str
    token: str | None
    document: str
    variables: dict[str, Any]
    # Asked instead when the service does not know a field of `document` (a service
    # without dataset versions has no `LineageChange.version`): changes without it.
    fallback: str | None = None
    acknowledged: bool = False
    done: bool = False
    operation: int = 1  # the id of the subscribe message (a fallback is a new operation)

    def opening(self) -> str:
        """`connection_init`, with the token in its payload when there is one."""
        payload = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return json.dumps({"type": "connection_init", "payload": payload})

    def closing(self) -> str:
        return json.dumps({"id": str(self.operation), "type": "complete"})

    def subscribing(self) -> str:
        request = {"query": self.document, "variables": self.variables}
        return json.dumps({"id": str(self.operation), "type": "subscribe", "payload": request})

    def receive(self, raw: str | bytes) -> tuple[list[str], dict[str, Any] | None]:
        """(messages to send back, the change this message carries, if any). Raises the
        SDK's error for a refused subscription; sets `done` when the server ends it."""
        message: dict[str, Any] = json.loads(raw)
        kind = message.get("type")
        if kind == "ping":
            return [json.dumps({"type": "pong"})], None
        if kind == "connection_ack" and not self.acknowledged:
            self.acknowledged = True
            return [self.subscribing()], None
        if kind == "next":
            payload: dict[str, Any] = message.get("payload") or {}
            if payload.get("errors"):
                raise self.refusal(payload["errors"])
            return [], (payload.get("data") or {}).get("lineageChanges")
        if kind == "error":
            errors = message.get("payload") or []
            if self.fallback is not None and "Cannot query field" in json.dumps(errors):
                self.document, self.fallback = self.fallback, None
                self.operation += 1
                return [self.subscribing()], None
            raise self.refusal(errors)
        if kind == "complete":
            self.done = True
        return [], None

    def refusal(self, errors: list[Any]) -> QueryError:
        first: dict[str, Any] = (
            errors[0] if errors and isinstance(errors[0], dict) else {"message": str(errors)}
        )
        code = (first.get("extensions") or {}).get("code")
        message = f"the watch at {self.url} was refused: {first.get('message', 'error')}"
        if code in ("UNAUTHENTICATED", "FORBIDDEN"):
            return Unauthenticated(f"{message}; set LINEAGE_API_TOKEN", code)
        return QueryError(message, code)

    def closed(self, code: int | None, reason: str) -> LineageError:
        """The error for a socket the server closed under the subscription."""
        if code == CLOSED_UNAUTHENTICATED:
            return Unauthenticated(
                f"the lineage API at {self.url} refused the watch ({code}: "
                f"{reason or 'no or bad token'}); set LINEAGE_API_TOKEN to its token",
                "UNAUTHENTICATED",
            )
        if code == CLOSED_FORBIDDEN:
            return Unauthenticated(
                f"the token has no `read` scope for watches at {self.url} ({code})", "FORBIDDEN"
            )
        return QueryError(f"the lineage API at {self.url} closed the watch ({code}: {reason})")


class Watch(Generic[T]):
    """The changes of one subscription, blocking: connected and subscribed when created
    (so a change made after `watch(...)` returns is not missed), iterated with `for`.
    The iteration ends when the server completes the subscription or when `timeout`
    seconds pass without a change; `close()` (or leaving a `with` block, or dropping the
    iterator) ends the subscription."""

    def __init__(
        self, sub: Subscription, convert: Callable[[dict[str, Any]], T], timeout: float | None
    ) -> None:
        from websockets.exceptions import InvalidHandshake
        from websockets.sync.client import connect

        self._sub, self._convert, self._timeout = sub, convert, timeout
        try:
            # Entered by hand: the connection outlives this call (closed by `close`).
            self._ws = connect(
                sub.url, subprotocols=[Subprotocol(PROTOCOL)], proxy=None
            ).__enter__()
        except (OSError, InvalidHandshake, TimeoutError) as exc:
            raise ServiceUnreachable(sub.url, f"{type(exc).__name__}: {exc}") from None
        try:
            self._ws.send(sub.opening())
            while not sub.acknowledged:
                self._step(ACK_SECONDS)
        except BaseException:
            self._ws.close()
            raise

    def _step(self, timeout: float | None) -> dict[str, Any] | None:
        from websockets.exceptions import ConnectionClosed

        try:
            raw = self._ws.recv(timeout=timeout)
            replies, change = self._sub.receive(raw)
            for reply in replies:
                self._ws.send(reply)
        except TimeoutError:
            if not self._sub.acknowledged:
                raise QueryError(f"{self._sub.url} did not acknowledge the watch") from None
            raise
        except ConnectionClosed as exc:
            raise self._sub.closed(exc.rcvd.code if exc.rcvd else None, str(exc)) from None
        return change

    def __iter__(self) -> Iterator[T]:
        """The changes; leaving a `for` loop early (`break`) ends the subscription."""
        try:
            while True:
                yield self.__next__()
        except StopIteration:
            return
        finally:
            self.close()

    def __next__(self) -> T:
        while not self._sub.done:
            try:
                change = self._step(self._timeout)
            except TimeoutError:
                break
            if change is not None:
                return self._convert(change)
        self.close()
        raise StopIteration

    def close(self) -> None:
        """End the subscription and close the connection (idempotent)."""
        from websockets.exceptions import ConnectionClosed

        if not self._sub.done:
            self._sub.done = True
            with contextlib.suppress(ConnectionClosed):
                self._ws.send(self._sub.closing())
        self._ws.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        ws = getattr(self, "_ws", None)
        if ws is not None:
            ws.close()


class AsyncWatch(Generic[T]):
    """`Watch` on the caller's event loop: `async with lineage.watch(...) as changes:`
    connects and subscribes, then `async for change in changes`; `async for` alone
    connects on its first step."""

    def __init__(
        self,
        sub: Subscription,
        convert: Callable[[dict[str, Any]], T],
        timeout: float | None,
        before: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._sub, self._convert, self._timeout, self._before = sub, convert, timeout, before
        self._ws: Any = None

    async def open(self) -> Self:
        """Connect and subscribe (once)."""
        if self._ws is not None:
            return self
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidHandshake

        if self._before is not None:
            await self._before()
        try:
            self._ws = await connect(
                self._sub.url, subprotocols=[Subprotocol(PROTOCOL)], proxy=None
            )
        except (OSError, InvalidHandshake, TimeoutError) as exc:
            raise ServiceUnreachable(self._sub.url, f"{type(exc).__name__}: {exc}") from None
        try:
            await self._ws.send(self._sub.opening())
            while not self._sub.acknowledged:
                await self._step(ACK_SECONDS)
        except BaseException:
            await self._ws.close()
            raise
        return self

    async def _step(self, timeout: float | None) -> dict[str, Any] | None:
        import asyncio

        from websockets.exceptions import ConnectionClosed

        try:
            async with asyncio.timeout(timeout):
                raw = await self._ws.recv()
            replies, change = self._sub.receive(raw)
            for reply in replies:
                await self._ws.send(reply)
        except TimeoutError:
            if not self._sub.acknowledged:
                raise QueryError(f"{self._sub.url} did not acknowledge the watch") from None
            raise
        except ConnectionClosed as exc:
            raise self._sub.closed(exc.rcvd.code if exc.rcvd else None, str(exc)) from None
        return change

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        await self.open()
        while not self._sub.done:
            try:
                change = await self._step(self._timeout)
            except TimeoutError:
                break
            if change is not None:
                return self._convert(change)
        await self.close()
        raise StopAsyncIteration

    async def close(self) -> None:
        """End the subscription and close the connection (idempotent)."""
        from websockets.exceptions import ConnectionClosed

        if self._ws is None:
            return
        if not self._sub.done:
            self._sub.done = True
            with contextlib.suppress(ConnectionClosed):
                await self._ws.send(self._sub.closing())
        await self._ws.close()

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
