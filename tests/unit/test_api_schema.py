"""The served schema: the exported SDL file, and the schema docs/reference/graphql.md documents."""

from __future__ import annotations

from graphql import build_schema, find_breaking_changes

from graphql_api.export_schema import SDL_FILE, schema_sdl
from tests.support.documented_schema import DOCUMENTED_SDL


def test_exported_sdl_matches_the_code() -> None:
    assert SDL_FILE.read_text() == schema_sdl(), (
        "docs/reference/schema.graphql differs from the code's schema: regenerate it with "
        "`python -m graphql_api.export_schema` (and commit the file)"
    )


def test_served_schema_keeps_the_documented_schema() -> None:
    served = build_schema(schema_sdl())
    breaking = find_breaking_changes(build_schema(DOCUMENTED_SDL), served)
    assert breaking == []


def test_breaking_change_is_detected() -> None:
    """Negative control: dropping a documented field is reported."""
    served = build_schema(schema_sdl().replace("  endCursor: String\n", ""))
    assert find_breaking_changes(build_schema(DOCUMENTED_SDL), served)


def test_relations_and_attributes_bypass_strawberrys_wrapper() -> None:
    from functools import partial

    from graphql_api.resolving import CONTEXT_ONLY
    from graphql_api.schema import build_schema as build_lineage_schema

    graphql = build_lineage_schema()._schema
    inputs = graphql.type_map["Run"].fields["inputs"].resolve  # type: ignore[attr-defined]
    total = graphql.type_map["RunConnection"].fields["totalCount"].resolve  # type: ignore[attr-defined]
    assert inputs.__qualname__ == "Run.inputs"
    assert getattr(inputs, CONTEXT_ONLY)
    assert total.__qualname__ != "RunConnection.total_count"  # async: strawberry's wrapper stays
    relations = [
        (t.name, name)
        for t in graphql.type_map.values()
        if hasattr(t, "fields") and not t.name.startswith("__") and hasattr(t, "is_type_of")
        for name, f in t.fields.items()
        if getattr(f.resolve, CONTEXT_ONLY, False)
    ]
    assert ("DObject", "source") in relations
    assert ("Pipeline", "runs") in relations
    created = graphql.type_map["DObject"].fields["createdAt"].resolve  # type: ignore[attr-defined]
    assert isinstance(created, partial)
    assert created.args == ("created_at",)
