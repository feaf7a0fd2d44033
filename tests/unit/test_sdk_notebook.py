"""Notebook facts and script detection (the kernel-side detection runs in the e2e test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from producer_sdk import notebook
from tests.support.waiting import wait_for


def write_notebook(path: Path, cells: list[dict]) -> Path:  # type: ignore[type-arg]
    path.write_text(
        json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    return path


def md(source: str) -> dict:  # type: ignore[type-arg]
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def code(source: str, tags: list[str] | None = None) -> dict:  # type: ignore[type-arg]
    return {
        "cell_type": "code",
        "metadata": {"tags": tags or []},
        "source": source,
        "outputs": [],
        "execution_count": None,
    }


def test_name_version_and_title(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path / "iris_analysis.ipynb",
        [
            md("Some text\n\n## not the first heading\n"),
            md(["# Iris ", "analysis\n", "more"]),  # type: ignore[arg-type]
            code("# version: 3\nimport producer_sdk as ln"),
        ],
    )
    facts = notebook.read_notebook(path)
    assert (facts.name, facts.version) == ("iris_analysis", "3")
    assert facts.title == "Iris analysis"


def test_a_cell_tagged_version(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "nb.ipynb", [code('version = "2.1"', tags=["version"])])
    facts = notebook.read_notebook(path)
    assert (facts.version, facts.title) == ("2.1", None)


def test_defaults_when_the_file_says_nothing(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "plain.ipynb", [code("x = 1")])
    assert notebook.read_notebook(path).version == "1"
    broken = tmp_path / "broken.ipynb"
    broken.write_text("not json")
    assert notebook.read_notebook(broken).name == "broken"


def test_outside_a_kernel_there_is_no_notebook() -> None:
    assert not notebook.in_kernel()
    assert notebook.find_notebook({"JPY_SESSION_NAME": "/x.ipynb"}) is None


def test_script_path(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text("")
    assert notebook.script_path(str(script)) == script.resolve()
    assert notebook.script_path("-c") is None
    assert notebook.script_path("") is None
    assert notebook.script_path(str(tmp_path / "gone.py")) is None


def test_nbconvert_parent_names_the_notebook(tmp_path: Path) -> None:
    (tmp_path / "analysis.ipynb").write_text("{}")
    (tmp_path / "executed.ipynb").write_text("{}")  # left by an earlier execution
    # A process whose command line looks like
    # `jupyter nbconvert --execute --output executed.ipynb analysis.ipynb`.
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; time.sleep(30)",
            "nbconvert",
            "--execute",
            "--output",
            "executed.ipynb",
            "analysis.ipynb",
        ],
        cwd=tmp_path,
    )
    try:
        cmdline = Path(f"/proc/{parent.pid}/cmdline")
        wait_for(lambda: b"nbconvert" in cmdline.read_bytes(), what="the child's exec")
        found = notebook._from_parent_process(pid=parent.pid, levels=1)
    finally:
        parent.kill()
        parent.wait()
    assert found == (tmp_path / "analysis.ipynb").resolve()
    assert notebook._from_parent_process(pid=os.getpid(), levels=1) is None
