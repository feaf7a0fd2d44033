"""Which notebook is running this kernel, and what its file says about itself.

Tried in order: VS Code (`__vsc_ipynb_file__`), `JPY_SESSION_NAME` (set by Jupyter Server
for its kernels), a papermill or nbconvert parent process (its command line names the
notebook), and the Jupyter Server sessions API (the kernel id from the kernel's
connection file, looked up in each running server's `api/sessions`).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from producer_sdk.errors import LineageError

_VERSION_COMMENT = re.compile(
    r"^\s*#\s*version\s*[:=]?\s*[\"']?([\w.+-]+)[\"']?\s*$", re.IGNORECASE | re.MULTILINE
)
_VERSION_VALUE = re.compile(r"[\"']?([\w.+-]+)[\"']?\s*$")
_HEADING = re.compile(r"^\s*#\s+(.+?)\s*#*\s*$", re.MULTILINE)


@dataclass(frozen=True)
class NotebookFacts:
    """What a Notebook transform is made of."""

    path: Path
    name: str
    version: str
    title: str | None


def in_kernel() -> bool:
    """True inside a Jupyter kernel (not a plain Python or IPython terminal)."""
    shell = _shell()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _shell() -> Any:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    try:
        return ipython.get_ipython()
    except AttributeError:
        return None


def find_notebook(environ: Mapping[str, str] | None = None) -> Path | None:
    """The .ipynb file this kernel runs, or None outside a notebook kernel."""
    environ = os.environ if environ is None else environ
    if not in_kernel():
        return None
    shell = _shell()
    user_ns = getattr(shell, "user_ns", {}) or {}
    candidates = [
        user_ns.get("__vsc_ipynb_file__"),
        environ.get("JPY_SESSION_NAME"),
        user_ns.get("__session__"),
    ]
    for candidate in candidates:
        if candidate and str(candidate).endswith(".ipynb") and Path(candidate).exists():
            return Path(candidate).resolve()
    return _from_parent_process() or _from_server_sessions()


def _from_parent_process(pid: int | None = None, levels: int = 3) -> Path | None:
    """A papermill or nbconvert ancestor names the notebook on its command line."""
    pid = os.getppid() if pid is None else pid
    for _ in range(levels):
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            cwd = Path(f"/proc/{pid}/cwd").readlink()
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return None
        words = [a.decode(errors="replace") for a in args if a]
        if any("nbconvert" in w or "papermill" in w for w in words):
            # The input is the first notebook named, not the value of --output
            # (nbconvert) and not the second positional (papermill's output).
            for previous, word in zip(["", *words], words, strict=False):
                if previous in ("--output", "-o") or word.startswith("--output="):
                    continue
                if word.endswith(".ipynb"):
                    path = (cwd / word).resolve()
                    if path.exists():
                        return path
        match = re.search(r"^PPid:\s*(\d+)", status, re.MULTILINE)
        if not match or int(match.group(1)) <= 1:
            return None
        pid = int(match.group(1))
    return None


def _from_server_sessions() -> Path | None:
    """Ask each running Jupyter Server which session owns this kernel."""
    import urllib.request

    try:
        from ipykernel.connect import get_connection_file
        from jupyter_core.paths import jupyter_runtime_dir

        kernel_id = Path(get_connection_file()).stem.removeprefix("kernel-")
        runtime = Path(jupyter_runtime_dir())
    except Exception:  # noqa: BLE001 - any failure means "not found this way"
        return None
    for info_file in [*runtime.glob("jpserver-*.json"), *runtime.glob("nbserver-*.json")]:
        try:
            info = json.loads(info_file.read_text())
            url = f"{info['url'].rstrip('/')}/api/sessions"
            if not url.startswith(("http://", "https://")):
                continue
            request = urllib.request.Request(  # noqa: S310 - scheme checked just above
                url,
                headers={"Authorization": f"token {info.get('token', '')}"},
            )
            with urllib.request.urlopen(request, timeout=1) as response:  # noqa: S310
                sessions = json.loads(response.read())
        except (OSError, ValueError, KeyError):
            continue
        root = Path(info.get("root_dir") or info.get("notebook_dir") or ".")
        for session in sessions:
            if (session.get("kernel") or {}).get("id") == kernel_id:
                rel = session.get("path") or (session.get("notebook") or {}).get("path")
                if rel:
                    return (root / str(rel)).resolve()
    return None


def read_notebook(path: Path) -> NotebookFacts:
    """Name from the file, version from a `version` cell (tag or `# version: N`) else "1",
    title from the first Markdown heading."""
    version, title = "1", None
    try:
        cells = json.loads(path.read_text()).get("cells", [])
    except (OSError, ValueError):
        cells = []
    found_version = False
    for cell in cells:
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        tags = (cell.get("metadata") or {}).get("tags") or []
        if not found_version and cell.get("cell_type") == "code":
            match = _VERSION_COMMENT.search(source)
            if "version" in tags and not match:
                match = _VERSION_VALUE.search(source.strip())
            if match:
                version, found_version = match.group(1), True
        if title is None and cell.get("cell_type") == "markdown":
            heading = _HEADING.search(source)
            if heading:
                title = heading.group(1)
    return NotebookFacts(path, path.stem, version, title)


def script_path(argv0: str | None = None) -> Path | None:
    """The running script's file, or None (interactive Python, `python -c`)."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    if not argv0 or argv0 in ("-c", "-m") or "ipykernel" in argv0:
        return None
    path = Path(argv0)
    return path.resolve() if path.is_file() else None


def undetected_notebook_error() -> LineageError:
    return LineageError(
        "ln.Run(): this is a Jupyter kernel but its notebook file could not be found; "
        'pass it: ln.Run(notebook="path/to/notebook.ipynb")'
    )
