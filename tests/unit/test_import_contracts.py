"""The import contracts of pyproject.toml ([tool.importlinter]) hold: the SDK's layers
point one way, the three parts never import each other, lineage_core imports none of
them, the SDK reaches nothing of the server, and the read model no web framework."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_lint_imports_keeps_every_contract() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
    for contract in (
        "producer_sdk in one direction",
        "never import each other",
        "lineage_read imports no web framework",
    ):
        assert contract in done.stdout
