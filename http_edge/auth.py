"""Who is asking (docs/reference/tokens.md): bearer tokens, their scopes, revocation.

Every API process keeps the live tokens' SHA-256 digests in memory and reloads them
from Postgres every `refresh_seconds` (1 s), so a `lineage token revoke` is in force
everywhere within about a second, without a query per request. A token this process
has not seen yet (created a moment ago) triggers one early reload, at most every
`MISS_RELOAD_SECONDS`, so a flood of wrong tokens costs at most a few queries a second.
`last_used_at` is kept in memory and written for all tokens at once every
`flush_seconds`. WebSockets register a callback that closes them when their token is
revoked.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from lineage_core import tokens

log = logging.getLogger("http_edge.auth")

MISS_RELOAD_SECONDS: Final = 0.2
ENV_TOKEN_NAME: Final = "LINEAGE_API_TOKEN"  # noqa: S105 - the name shown for it
ALL_SCOPES: Final = frozenset(tokens.SCOPES)


@dataclass(frozen=True)
class Principal:
    """The caller: a token's name and scopes, or everyone on an open service."""

    name: str
    scopes: frozenset[str]
    digest: bytes | None = None  # None: the environment token or an open service

    def allows(self, needed: str) -> bool:
        return tokens.allows(self.scopes, needed)


OPEN: Final = Principal("(open service)", ALL_SCOPES)

OnRevoke = Callable[[], Awaitable[None]]


class TokenStore(Protocol):
    """Where the live tokens are kept (lineage_read.tokens.TokenTable)."""

    async def live(self) -> list[tokens.LiveToken]: ...

    async def record_use(self, used: Sequence[tuple[bytes, datetime]]) -> None: ...


def bearer_of(value: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` value, else None."""
    if not value:
        return None
    scheme, _, given = value.strip().partition(" ")
    given = given.strip()
    return given if scheme.lower() == "bearer" and given else None


class TokenRegistry:
    """The live tokens of the database plus LINEAGE_API_TOKEN, as this process knows them."""

    def __init__(
        self,
        store: TokenStore | None,
        env_token: str | None,
        refresh_seconds: float = 1.0,
        flush_seconds: float = 5.0,
    ) -> None:
        self._store = store
        self._env_digest = tokens.token_digest(env_token) if env_token else None
        self._refresh = refresh_seconds
        self._flush = flush_seconds
        self._by_digest: dict[bytes, tokens.LiveToken] = {}
        self._used: dict[bytes, datetime] = {}
        self._on_revoke: dict[bytes, set[OnRevoke]] = {}
        self._loaded_at = 0.0
        self._reloading: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def auth_on(self) -> bool:
        """Auth is on when LINEAGE_API_TOKEN is set or the database holds a live token."""
        return self._env_digest is not None or bool(self._by_digest)

    async def start(self) -> None:
        await self.reload()
        self._task = asyncio.create_task(self._run(), name="token-registry")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self.flush_last_used()

    async def authenticate(self, token: str | None) -> Principal | None:
        """The principal of `token`; None when auth is on and the token is missing,
        unknown or revoked. On an open service everyone is `OPEN`."""
        if not self.auth_on:
            return OPEN
        if token is None:
            return None
        digest = tokens.token_digest(token)
        if self._env_digest is not None and hmac.compare_digest(digest, self._env_digest):
            return Principal(ENV_TOKEN_NAME, ALL_SCOPES)
        live = self._by_digest.get(digest)
        if live is None and time.monotonic() - self._loaded_at > MISS_RELOAD_SECONDS:
            await self._coalesced_reload()  # maybe created since the last reload
            live = self._by_digest.get(digest)
        # the dict found it by digest already; compare_digest keeps the final check
        # independent of where two digests first differ
        if live is None or not hmac.compare_digest(live.digest, digest):
            return None
        self._used[digest] = datetime.now(UTC)
        return Principal(live.name, live.scopes, digest)

    def is_live(self, principal: Principal) -> bool:
        return principal.digest is None or principal.digest in self._by_digest

    def watch(self, principal: Principal, on_revoke: OnRevoke) -> Callable[[], None]:
        """Call `on_revoke` once the principal's token is revoked; returns the unwatch."""
        if principal.digest is None:
            return lambda: None
        watchers = self._on_revoke.setdefault(principal.digest, set())
        watchers.add(on_revoke)

        def unwatch() -> None:
            watchers.discard(on_revoke)

        return unwatch

    async def reload(self) -> None:
        if self._store is None:
            return
        live = await self._store.live()
        before = self._by_digest
        self._by_digest = {t.digest: t for t in live}
        self._loaded_at = time.monotonic()
        for digest in before.keys() - self._by_digest.keys():
            await self._revoked(digest)

    async def flush_last_used(self) -> None:
        if self._store is None or not self._used:
            return
        used, self._used = self._used, {}
        await self._store.record_use(sorted(used.items()))

    async def _revoked(self, digest: bytes) -> None:
        self._used.pop(digest, None)
        for close in list(self._on_revoke.pop(digest, ())):
            try:
                await close()
            except Exception:
                log.warning("closing a revoked token's connection failed", exc_info=True)

    async def _coalesced_reload(self) -> None:
        if self._reloading is None or self._reloading.done():
            self._reloading = asyncio.create_task(self.reload())
        await asyncio.shield(self._reloading)

    async def _run(self) -> None:
        last_flush = time.monotonic()
        while True:
            await asyncio.sleep(self._refresh)
            try:
                await self._coalesced_reload()
                if time.monotonic() - last_flush >= self._flush:
                    last_flush = time.monotonic()
                    await self.flush_last_used()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning(
                    "reloading API tokens failed; keeping the last known set", exc_info=True
                )


def caller_key(principal: Principal | None, scope: Mapping[str, Any]) -> str:
    """Whose budget a request spends: its token's, else its client address's."""
    if principal is not None and principal is not OPEN:
        return f"token:{principal.name}"
    client = scope.get("client")
    return f"addr:{client[0] if client else '-'}"
