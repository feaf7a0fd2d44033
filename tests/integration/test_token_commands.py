"""`lineage token create|list|revoke` against a real database (docs/reference/tokens.md)."""

from __future__ import annotations

import asyncio
import hashlib

import asyncpg
import pytest
from typer.testing import CliRunner

from lineage_cli.main import app
from projector.store import asyncpg_dsn

pytestmark = pytest.mark.integration


@pytest.fixture
def lineage(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LINEAGE_DATABASE_URL", database_url)
    monkeypatch.setenv("LINEAGE_HOME", str(tmp_path))
    monkeypatch.delenv("LINEAGE_API_TOKEN", raising=False)
    runner = CliRunner()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args))

    return run


def _rows(database_url: str) -> list[asyncpg.Record]:
    async def fetch() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(asyncpg_dsn(database_url))
        try:
            return await conn.fetch("SELECT * FROM public.api_tokens ORDER BY id")
        finally:
            await conn.close()

    return asyncio.run(fetch())


def test_create_prints_the_token_once_and_stores_only_its_hash(lineage, database_url: str) -> None:  # type: ignore[no-untyped-def]
    first = lineage("token", "create", "ci", "--scope", "read", "--scope", "write")
    assert first.exit_code == 0, first.output
    token = first.stdout.strip().splitlines()[-1]
    assert len(token) > 40
    assert " " not in token
    assert "auth is on" in first.stderr

    (row,) = _rows(database_url)
    assert bytes(row["token_hash"]) == hashlib.sha256(token.encode()).digest()
    assert all(token not in str(value) for value in row.values())
    assert sorted(row["scopes"]) == ["read", "write"]

    second = lineage("token", "create", "other", "--scope", "admin")
    assert second.exit_code == 0
    assert "auth" not in second.stderr  # warned only once
    assert second.stdout.strip().splitlines()[-1] != token


def test_names_are_unique_and_scopes_known(lineage) -> None:  # type: ignore[no-untyped-def]
    assert lineage("token", "create", "ci", "--scope", "read").exit_code == 0
    duplicate = lineage("token", "create", "ci", "--scope", "write")
    assert duplicate.exit_code == 1
    assert "exists" in duplicate.stderr
    assert lineage("token", "create", "x", "--scope", "root").exit_code == 1
    assert lineage("token", "create", "x").exit_code != 0  # no scope


def test_list_and_revoke(lineage, database_url: str) -> None:  # type: ignore[no-untyped-def]
    created = lineage("token", "create", "reader", "--scope", "read")
    token = created.stdout.strip().splitlines()[-1]
    lineage("token", "create", "writer", "--scope", "write")
    listed = lineage("token", "list")
    assert listed.exit_code == 0
    for shown in ("reader", "writer", "never", "read", "write"):
        assert shown in listed.stdout
    assert token not in listed.stdout

    assert lineage("token", "revoke", "reader").exit_code == 0
    assert "reader" not in lineage("token", "list").stdout
    unknown = lineage("token", "revoke", "reader")
    assert unknown.exit_code == 1
    assert "no token" in unknown.stderr
    # a revoked name may be given again; the old token stays revoked
    again = lineage("token", "create", "reader", "--scope", "read")
    assert again.exit_code == 0
    revoked = [r for r in _rows(database_url) if r["revoked_at"] is not None]
    assert [r["name"] for r in revoked] == ["reader"]
