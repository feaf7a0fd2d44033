"""The GraphQL schema that docs/reference/graphql.md documents, read from its first
```graphql block: what the API must serve (it may add to it, never break it) and what
the SDK's documents are checked against. Reading it from the page keeps the page and
the tests one text."""

from __future__ import annotations

from pathlib import Path
from typing import Final

REFERENCE: Final = Path(__file__).resolve().parents[2] / "docs" / "reference" / "graphql.md"


def documented_sdl(page: Path = REFERENCE) -> str:
    """The first ```graphql block of `page`."""
    text = page.read_text()
    start = text.index("```graphql\n") + len("```graphql\n")
    return text[start : text.index("```", start)]


DOCUMENTED_SDL: Final = documented_sdl()
