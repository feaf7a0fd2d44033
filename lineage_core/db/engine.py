"""Engines and migrations."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_engine(url: str, pool_size: int = 5) -> AsyncEngine:
    """An asyncpg engine; the caller disposes it."""
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["database_url"] = url
    return cfg


def upgrade_sync(url: str) -> None:
    """Apply all migrations (blocking; runs its own event loop inside alembic's env)."""
    from alembic import command

    command.upgrade(_alembic_config(url), "head")


async def upgrade(url: str) -> None:
    """Apply all migrations from async code."""
    await asyncio.to_thread(upgrade_sync, url)
