"""The explorer's files shipped in the package are what `web/` builds: rebuilt here when
Node.js is present, byte for byte (the build is deterministic)."""

from __future__ import annotations

import filecmp
import shutil
import subprocess
from pathlib import Path

import pytest

from graphql_api.ui import STATIC_DIR

WEB = Path(__file__).resolve().parents[2] / "web"


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


def test_the_shipped_bundle_is_what_web_builds(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is absent: the shipped bundle cannot be rebuilt here")
    _node_modules()
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
