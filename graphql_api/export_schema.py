"""The schema's SDL, and `python -m graphql_api.export_schema` to rewrite
docs/reference/schema.graphql, the served schema as the reference documents it."""

from __future__ import annotations

from pathlib import Path
from typing import Final

# In the repository, not the package: the file is documentation, read by people and by the
# tests (tests/unit/test_api_schema.py fails when it differs from the code's schema).
SDL_FILE: Final = Path(__file__).resolve().parents[1] / "docs" / "reference" / "schema.graphql"


def schema_sdl() -> str:
    """The SDL of the schema the app serves."""
    from graphql_api.schema import build_schema

    return str(build_schema()).rstrip() + "\n"


if __name__ == "__main__":
    SDL_FILE.write_text(schema_sdl())
    print(f"wrote {SDL_FILE}")  # noqa: T201 - the command says what it wrote
