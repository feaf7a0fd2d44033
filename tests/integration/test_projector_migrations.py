"""The alembic migration and lineage_core/db/tables.py describe the same database."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from lineage_core.db.engine import create_engine
from lineage_core.db.schema import metadata

pytestmark = pytest.mark.integration


def _diff(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(
        conn, opts={"include_schemas": True, "compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, metadata))


async def test_autogenerate_finds_no_difference(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(_diff)
    finally:
        await engine.dispose()
    assert diff == []
