"""The API's reads and writes of public.api_tokens: the live tokens' digests and scopes
(never a token: only its SHA-256 is stored), and their last use, in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from lineage_core.tokens import LiveToken
from lineage_read.database import Database

_LIVE: Final = "SELECT name, token_hash, scopes FROM public.api_tokens WHERE revoked_at IS NULL"
_USED: Final = (
    "UPDATE public.api_tokens AS t SET last_used_at = GREATEST(t.last_used_at, u.at) "
    "FROM unnest($1::bytea[], $2::timestamptz[]) AS u(digest, at) "
    "WHERE t.token_hash = u.digest"
)


class TokenTable:
    """What the token registry (auth.py) needs of the database."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def live(self) -> list[LiveToken]:
        rows = await self._database.fetch(_LIVE)
        return [LiveToken(r["name"], bytes(r["token_hash"]), frozenset(r["scopes"])) for r in rows]

    async def record_use(self, used: Sequence[tuple[bytes, datetime]]) -> None:
        """Set the last use of many tokens at once (the registry batches them)."""
        if not used:
            return
        async with self._database.unlimited() as conn:
            await conn.execute(_USED, [d for d, _ in used], [at for _, at in used])
