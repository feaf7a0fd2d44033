"""A statement run with its generic plan leaves the pooled session's planning as it was."""

from __future__ import annotations

import pytest

from lineage_read.database import Database

pytestmark = pytest.mark.integration

SETTING = "SELECT current_setting('plan_cache_mode') AS mode, pg_backend_pid() AS pid"


async def test_generic_plan_for_the_statement_alone(database_url: str) -> None:
    database = await Database.open(database_url, sessions=2, statement_timeout_ms=5000)
    try:
        db = database.request()
        try:
            planned = (await db.rows_planned_once(SETTING))[0]
            after = (await db.rows(SETTING))[0]
        finally:
            await db.close()
        again = database.request()  # the pool's one session, given to the next request
        try:
            next_request = (await again.rows(SETTING))[0]
        finally:
            await again.close()
    finally:
        await database.close()
    assert planned["mode"] == "force_generic_plan"
    assert after["pid"] == planned["pid"] == next_request["pid"]
    assert after["mode"] == next_request["mode"] == "auto"
