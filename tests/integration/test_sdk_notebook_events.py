"""`ln.Run()` inside a kernel run by `jupyter nbconvert --execute`: detected as a Notebook
transform and finished when the kernel exits (events read from a real nats-server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.notebook import NOTEBOOK
from tests.support.sdk import CLOSED_API, stream_events

pytestmark = pytest.mark.integration


def test_nbconvert_kernel_run_is_a_notebook_run(nats_url: str, tmp_path: Path) -> None:
    (tmp_path / "iris_analysis.ipynb").write_text(json.dumps(NOTEBOOK))
    env = {
        **os.environ,
        "LINEAGE_NATS_URL": nats_url,
        "LINEAGE_API_URL": CLOSED_API,
        "LINEAGE_HOME": str(tmp_path / "home"),
    }
    env.pop("JPY_SESSION_NAME", None)
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
            "iris_analysis.ipynb",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    got = [e for _, _, e in stream_events(nats_url)]
    assert [e.event_type for e in got] == [
        "TransformRegistered",
        "RunStarted",
        "OutputRegistered",
        "RunFinished",
    ]
    transform = got[0].transform
    assert (transform.type, transform.name, transform.version, transform.title) == (
        "notebook",
        "iris_analysis",
        "2",
        "Iris analysis",
    )
    assert transform.reference == str((tmp_path / "iris_analysis.ipynb").resolve())
    assert got[2].dobject.name == "iris_new"
    assert got[3].status == "completed"  # at kernel exit
