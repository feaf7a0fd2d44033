"""The README's server install, `pip install '.[server]'`, in a virtualenv of its own with
no test packages, for tests that run the service as a new user would.

Building it takes a minute, so the virtualenv is cached outside the repository, keyed by
the hash of pyproject.toml (`~/.cache/lineage-ci/server-venv-<hash>`, or under
LINEAGE_CI_CACHE): it holds the dependencies of `[server]`, installed as the README
installs them, and is built again only when pyproject.toml changes. The project itself
is installed fresh on every run (`pip install --no-deps --target`, a few seconds), from a
copy of the working tree, so the check sees today's code and package list, not the
code of the day the cache was built.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

REPOSITORY: Final = Path(__file__).resolve().parents[2]
READY: Final = "ready"  # written last: a virtualenv without it is half built
# what a `.[server]` install must not bring: the test extra's packages
TEST_ONLY: Final = ("pytest", "hypothesis", "openlineage", "playwright", "jsonschema")
# what a wheel build needs of the working tree (the rest, tests/ and web/, is not shipped)
LEFT_OUT: Final = frozenset(
    {".git", ".venv", "tests", "bench", "docs", "web", "deploy", "scripts", "build", "dist"}
    | {".mypy_cache", ".ruff_cache", ".pytest_cache", ".lineage", "test-artifacts"}
)


def cache_root() -> Path:
    configured = os.environ.get("LINEAGE_CI_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "lineage-ci"


def pyproject_hash(repository: Path = REPOSITORY) -> str:
    return hashlib.sha256((repository / "pyproject.toml").read_bytes()).hexdigest()[:16]


@dataclass(frozen=True)
class ServerInstall:
    """The cached virtualenv and, in `site`, this working tree's project installed in it."""

    venv: Path
    site: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def lineage(self) -> Path:
        return self.site / "bin" / "lineage"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a user of this install: nothing of the test's virtualenv or
        LINEAGE_* configuration."""
        inherited = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("LINEAGE_") and k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
        }
        path = os.pathsep.join([str(self.venv / "bin"), inherited.get("PATH", "/usr/bin:/bin")])
        return inherited | {"PATH": path, "PYTHONPATH": str(self.site)} | extra


def _pip(venv: Path, *args: str) -> None:
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "--quiet", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(f"pip {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One builder at a time (two worktrees may run the suite at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _copy_of_tree(repository: Path, into: Path) -> Path:
    tree = into / "src"
    anywhere = shutil.ignore_patterns("__pycache__", "*.egg-info")

    def ignore(folder: str, names: list[str]) -> set[str]:
        top = {n for n in names if n in LEFT_OUT} if Path(folder) == repository else set()
        return top | anywhere(folder, names)

    shutil.copytree(repository, tree, ignore=ignore)
    return tree


def server_venv(repository: Path = REPOSITORY) -> Path:
    """The cached virtualenv with `[server]`'s dependencies (built if missing)."""
    venv = cache_root() / f"server-venv-{pyproject_hash(repository)}"
    with _locked(venv.with_suffix(".lock")):
        if (venv / READY).exists():
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        work = venv / "build"
        _pip(venv, "install", "--upgrade", "pip")
        # as the README installs it; then the project goes again, its dependencies stay
        _pip(venv, "install", f"{_copy_of_tree(repository, work)}[server]")
        _pip(venv, "uninstall", "--yes", "lineage")
        # what `pip install --no-build-isolation` needs to build the project each run
        requires = tomllib.loads((repository / "pyproject.toml").read_text())["build-system"]
        _pip(venv, "install", *requires["requires"])
        shutil.rmtree(work)
        (venv / READY).write_text(pyproject_hash(repository) + "\n")
    return venv


def install_server(into: Path, repository: Path = REPOSITORY) -> ServerInstall:
    """This working tree's project (no dependencies) in `into`, on the cached virtualenv."""
    venv = server_venv(repository)
    site = into / "site"
    _pip(
        venv,
        "install",
        "--no-deps",
        "--no-build-isolation",
        "--target",
        str(site),
        str(_copy_of_tree(repository, into)),
    )
    return ServerInstall(venv, site)
