"""`lineage_core.db.schema.metadata` is the whole schema: importing that module alone
(as the alembic environment does) gives every table that any module of lineage_core/db
adds to the shared metadata, so a table module that schema.py forgets to import fails here
before a migration check misses its tables."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def tables_seen(*imports: str) -> set[str]:
    """The metadata's tables in a fresh interpreter after importing `imports` (a fresh one:
    this process may have imported every table module already)."""
    shown = (
        "import json, lineage_core.db.metadata as m; print(json.dumps(sorted(m.metadata.tables)))"
    )
    code = "; ".join([*(f"import {name}" for name in imports), shown])
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return set(json.loads(out.stdout))


def test_the_schema_module_brings_every_table() -> None:
    modules = sorted(
        f"lineage_core.db.{path.stem}"
        for path in (ROOT / "lineage_core" / "db").glob("*.py")
        if path.stem != "__init__"
    )
    every = tables_seen(*modules)
    assert {"public.raw_events", "public.watches", "public.marquez_namespaces"} <= every
    assert tables_seen("lineage_core.db.schema") == every
