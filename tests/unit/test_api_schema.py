"""The served schema: the exported SDL file and the contract (CONTRACT.md section 2)."""

from __future__ import annotations

from graphql import build_schema, find_breaking_changes

from graphql_api.export_schema import SDL_FILE, schema_sdl
from tests.support.contract import CONTRACT_SDL


def test_exported_sdl_matches_the_code() -> None:
    assert SDL_FILE.read_text() == schema_sdl(), (
        "graphql_api/schema.graphql is stale: run `python -m graphql_api.export_schema`")


def test_served_schema_keeps_the_contract() -> None:
    served = build_schema(schema_sdl())
    breaking = find_breaking_changes(build_schema(CONTRACT_SDL), served)
    assert breaking == []


def test_breaking_change_is_detected() -> None:
    """Negative control: dropping a contract field is reported."""
    served = build_schema(schema_sdl().replace("  endCursor: String\n", ""))
    assert find_breaking_changes(build_schema(CONTRACT_SDL), served)
