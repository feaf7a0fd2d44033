"""The explorer's files shipped in the package are what `web/` builds: rebuilt here when
Node.js is present, byte for byte (the build is deterministic)."""

from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from graphql_api.ui import STATIC_DIR

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
SCHEMA = ROOT / "docs" / "reference" / "schema.graphql"


def _node_modules() -> None:
    """`npm ci` from the lock file when the packages are not installed yet."""
    if (WEB / "node_modules" / ".package-lock.json").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is absent: the shipped bundle cannot be rebuilt here")
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=WEB,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.skip(f"npm ci failed (no registry?): {done.stderr[-500:]}")


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is absent: the shipped bundle cannot be rebuilt here")
    _node_modules()
    return node


def test_the_shipped_bundle_is_what_web_builds(tmp_path: Path) -> None:
    node = _node()
    out = tmp_path / "static"
    subprocess.run([node, "build.mjs", str(out)], cwd=WEB, check=True, timeout=300)
    shipped = sorted(p.name for p in STATIC_DIR.iterdir())
    built = sorted(p.name for p in out.iterdir())
    assert built == shipped
    _, mismatch, errors = filecmp.cmpfiles(out, STATIC_DIR, built, shallow=False)
    assert mismatch == [], f"rebuild web/ (npm run build): {mismatch} differ from the package"
    assert errors == []


def test_the_pages_load_nothing_from_another_host() -> None:
    for page in ("index.html", "graphiql.html"):
        html = (STATIC_DIR / page).read_text()
        assert "http://" not in html
        assert "https://" not in html
        assert 'src="/ui/static/' in html


def test_every_document_the_explorer_sends_is_valid_for_the_schema() -> None:
    """The explorer's queries against the API's exported SDL; those that need the lineage
    questions of docs/reference/questions.md (asOf, impact, runDiff, fields, parent), dataset
    versions (docs/reference/versions.md) or lineageChanges (docs/reference/watches.md) only
    once the schema has them: before,
    the page falls back to the plain ones."""
    done = subprocess.run(
        [_node(), "check-queries.mjs", str(SCHEMA)],
        cwd=WEB,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result = json.loads(done.stdout)
    sdl = SCHEMA.read_text()
    present = {
        "base": True,
        "section5": "impact(" in sdl,
        "versions": "dobjectVersion(" in sdl,
        "watches": "lineageChanges(" in sdl,
        "watchAdmin": "watchDeliveries(" in sdl,
    }
    invalid = {
        name: r["errors"] for name, r in result.items() if r["errors"] and present[r["needs"]]
    }
    assert invalid == {}
    assert len(result) >= 20
