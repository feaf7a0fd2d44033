"""Run Python code in a fresh interpreter where the server's packages cannot be imported,
as in an environment with the SDK install only (`pip install lineage`, no `[server]`)."""

from __future__ import annotations

import subprocess
import sys
from typing import Final

SERVER_PACKAGES: Final = (
    "strawberry",
    "uvicorn",
    "faststream",
    "sqlalchemy",
    "asyncpg",
    "alembic",
    "pgserver",
    "prometheus_client",
    "graphql_api",
    "projector",
)

# Put first on sys.meta_path: any import of a blocked top-level package fails as if it
# were not installed.
BLOCKER: Final = f"""
import importlib.abc, sys

class _NotInstalled(importlib.abc.MetaPathFinder):
    blocked = {SERVER_PACKAGES!r}

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.blocked:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked: SDK-only test)")
        return None

sys.meta_path.insert(0, _NotInstalled())
"""


def run_sdk_only(code: str, *args: str, cwd: str | None = None) -> subprocess.CompletedProcess[str]:
    """`code` after the blocker, in a new interpreter; its exit status is not checked."""
    return subprocess.run(
        [sys.executable, "-c", BLOCKER + code, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=cwd,
    )
