"""The maps stay true to the tree: docs/api.md names every module of the GraphQL face and
of the read model, docs/architecture.md every module of the read model, the projector and
its watches, and neither names a module that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def modules(package: str) -> set[str]:
    """The file names of a package's own modules (not its subpackages'), `__init__` aside."""
    return {p.name for p in (ROOT / package).glob("*.py") if p.name != "__init__.py"}


def named(doc: str) -> set[str]:
    """Every `something.py` a document names (bare or as the end of a path)."""
    return set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*\.py)\b", (ROOT / doc).read_text()))


def every_module_name() -> set[str]:
    return {p.name for p in ROOT.rglob("*.py") if ".venv" not in p.parts}


def test_the_api_page_names_every_module_of_the_face_and_the_read_model() -> None:
    missing = (modules("graphql_api") | modules("lineage_read")) - named("docs/api.md")
    assert missing == set()


def test_the_architecture_page_names_the_read_model_and_the_projector() -> None:
    wanted = modules("lineage_read") | modules("projector") | modules("projector/watches")
    wanted |= modules("lineage_core/db") | modules("lineage_read/marquez")
    assert wanted - named("docs/architecture.md") == set()


def test_the_maps_name_no_module_that_is_gone() -> None:
    for doc in ("docs/api.md", "docs/architecture.md"):
        assert named(doc) - every_module_name() == set(), doc
