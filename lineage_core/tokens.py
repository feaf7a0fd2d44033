"""Scoped API tokens (docs/reference/tokens.md): making them, hashing them, and their table.

A token is 32 random bytes (URL-safe text after a `lin_` prefix). Only its SHA-256 is
stored: a token that strong cannot be found from its digest, so a slow password hash
would add nothing but per-request cost. Every API process reads the same table.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from lineage_core.db.tables import api_tokens

READ: Final = "read"
WRITE: Final = "write"
ADMIN: Final = "admin"
SCOPES: Final = (READ, WRITE, ADMIN)
TOKEN_PREFIX: Final = "lin_"  # noqa: S105 - a prefix that makes leaked tokens greppable
MAX_NAME: Final = 128


class TokenError(ValueError):
    """A token command that cannot be done (duplicate name, unknown name, bad scope)."""


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def allows(scopes: Iterable[str], needed: str) -> bool:
    """Whether a token with `scopes` may do what needs `needed` (admin may do everything)."""
    held = set(scopes)
    return needed in held or ADMIN in held


def checked_scopes(scopes: Iterable[str]) -> list[str]:
    chosen = set(scopes)
    unknown = sorted(s for s in chosen if s not in SCOPES)
    if unknown:
        raise TokenError(f"unknown scope {unknown[0]!r}; scopes are {', '.join(SCOPES)}")
    if not chosen:
        raise TokenError(f"give at least one --scope ({', '.join(SCOPES)})")
    return [s for s in SCOPES if s in chosen]


@dataclass(frozen=True)
class TokenInfo:
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class LiveToken:
    """What an API process keeps in memory of a live token: never the token itself."""

    name: str
    digest: bytes
    scopes: frozenset[str]


async def create_token(engine: AsyncEngine, name: str, scopes: Iterable[str]) -> str:
    """A new token under `name` (unique among live tokens); returns the token, once."""
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise TokenError(f"a token name is 1 to {MAX_NAME} printable characters")
    chosen = checked_scopes(scopes)
    token = new_token()
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(api_tokens).values(name=name, token_hash=token_digest(token), scopes=chosen)
            )
    except IntegrityError:
        raise TokenError(f"a token named {name!r} exists already") from None
    return token


async def revoke_token(engine: AsyncEngine, name: str) -> None:
    async with engine.begin() as conn:
        done = await conn.execute(
            update(api_tokens)
            .where(api_tokens.c.name == name, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=func.now())
        )
    if done.rowcount == 0:
        raise TokenError(f"no token named {name!r}")


async def list_tokens(engine: AsyncEngine) -> list[TokenInfo]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(
                api_tokens.c.name,
                api_tokens.c.scopes,
                api_tokens.c.created_at,
                api_tokens.c.last_used_at,
            )
            .where(api_tokens.c.revoked_at.is_(None))
            .order_by(api_tokens.c.name)
        )
        return [TokenInfo(r.name, tuple(r.scopes), r.created_at, r.last_used_at) for r in rows]


async def live_tokens(engine: AsyncEngine) -> list[LiveToken]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(api_tokens.c.name, api_tokens.c.token_hash, api_tokens.c.scopes).where(
                api_tokens.c.revoked_at.is_(None)
            )
        )
        return [LiveToken(r.name, bytes(r.token_hash), frozenset(r.scopes)) for r in rows]


async def any_tokens(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        found = await conn.execute(
            select(api_tokens.c.id).where(api_tokens.c.revoked_at.is_(None)).limit(1)
        )
        return found.first() is not None


async def record_use(engine: AsyncEngine, used: Sequence[tuple[bytes, datetime]]) -> None:
    """Set `last_used_at` of many tokens in one statement (batched by the API)."""
    if not used:
        return
    async with engine.begin() as conn:
        await conn.execute(
            update(api_tokens)
            .where(api_tokens.c.token_hash == bindparam("digest"))
            .values(last_used_at=func.greatest(api_tokens.c.last_used_at, bindparam("at"))),
            [{"digest": d, "at": at} for d, at in used],
        )
