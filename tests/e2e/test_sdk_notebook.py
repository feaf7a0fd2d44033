"""A real notebook executed by `jupyter nbconvert --execute` against `lineage up`:
`ln.Run()` detects it and it becomes a Notebook transform."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import producer_sdk as ln
from lineage_core.settings import Settings
from producer_sdk import _runtime
from producer_sdk import schema as lns
from producer_sdk.client import Client
from tests.support.notebook import NOTEBOOK
from tests.support.service import Service

pytestmark = pytest.mark.e2e


def test_nbconvert_execution_is_tracked_as_a_notebook(service: Service, tmp_path: Path) -> None:
    path = tmp_path / "iris_analysis.ipynb"
    path.write_text(json.dumps(NOTEBOOK))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--output",
            "executed.ipynb",
            path.name,
        ],
        cwd=tmp_path,
        env=service.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    executed = json.loads((tmp_path / "executed.ipynb").read_text())
    printed = [o for o in executed["cells"][2]["outputs"] if o.get("name") == "stdout"]
    run_id = "".join(printed[0]["text"]).strip()

    client = Client(Settings())
    previous = _runtime.use_client(client)
    try:
        notebook = ln.select(lns.Notebook).join(lns.Run).join(ln.DObject, name="iris_new").first()
        assert notebook is not None
        assert (notebook.name, notebook.version, notebook.title) == (
            "iris_analysis",
            "2",
            "Iris analysis",
        )
        dobject = ln.select(ln.DObject, name="iris_new", suffix=".csv").one()
        source = dobject.source
        assert source is not None
        assert str(source.id) == run_id
        assert source.notebook == notebook
        assert source.status == "COMPLETED"  # finished when the kernel exited
    finally:
        client.close()
        _runtime.use_client(previous)
