"""`lineage up` on a machine with no servers configured: embedded NATS and Postgres
under LINEAGE_HOME, the seed program via `lineage demo`, Ctrl-C, and a restart that
keeps the data."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.graphql import graphql_at_tip
from tests.support.servers import free_port
from tests.support.service import lineage_command

pytestmark = pytest.mark.e2e

WHO_MADE_THE_BAM = """
{ runs(filter: {output: {name: "output", suffix: ".bam"}}) {
    totalCount
    nodes { id status transform { name version type } inputs { name suffix } } } }
"""


@pytest.fixture
def home() -> Iterator[Path]:
    # Short path: Postgres' unix socket path must stay under 107 bytes.
    path = Path(tempfile.mkdtemp(prefix="lh-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _env(home: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINEAGE_")}
    return env | {"LINEAGE_HOME": str(home), "LINEAGE_PORT": str(port)}


def _start(home: Path, port: int) -> subprocess.Popen[bytes]:
    with (home / "up.log").open("ab") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [*lineage_command(), "up"], env=_env(home, port), stdout=log, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, (home / "up.log").read_text()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise AssertionError("lineage up not ready in 90 s:\n" + (home / "up.log").read_text())


def _interrupt(process: subprocess.Popen[bytes], sig: int = signal.SIGINT) -> int:
    process.send_signal(sig)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def _query(port: int) -> dict:  # type: ignore[type-arg]
    """The output.bam answer once everything published so far is projected."""
    return graphql_at_tip(f"http://127.0.0.1:{port}", WHO_MADE_THE_BAM)["runs"]  # type: ignore[no-any-return]


def test_lineage_up_from_nothing_runs_the_demo_and_survives_a_restart(home: Path) -> None:
    port = free_port()
    process = _start(home, port)
    try:
        endpoints = json.loads((home / "endpoints.json").read_text())
        assert endpoints["nats_url"].startswith("nats://127.0.0.1:")
        assert endpoints["nats_url"] != "nats://127.0.0.1:4222"  # embedded, not the machine's
        assert str(home / "postgres") in endpoints["database_url"]
        assert endpoints["api_url"] == f"http://127.0.0.1:{port}"

        # `lineage demo` needs no configuration: it finds the service via LINEAGE_HOME.
        demo_env = {k: v for k, v in _env(home, port).items() if k != "LINEAGE_PORT"}
        demo = subprocess.run(
            [*lineage_command(), "demo"],
            check=False,
            env=demo_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert demo.returncode == 0, demo.stdout + demo.stderr
        assert "output.bam" in demo.stdout
        assert "input.fastq.gz" in demo.stdout

        runs = _query(port)
        assert runs["totalCount"] == 1
        run = runs["nodes"][0]
        assert run["transform"] == {"name": "Cell Ranger", "version": "7", "type": "PIPELINE"}
        assert run["inputs"] == [{"name": "input", "suffix": ".fastq.gz"}]
        assert run["status"] == "COMPLETED"
    finally:
        code = _interrupt(process)
    assert code == 0, (home / "up.log").read_text()
    _assert_stopped(home, endpoints)

    process = _start(home, port)
    endpoints = json.loads((home / "endpoints.json").read_text())
    try:
        assert _query(port)["nodes"] == [run]  # same data after the restart
    finally:
        code = _interrupt(process, signal.SIGTERM)  # as systemd or docker stop it
    assert code == 0, (home / "up.log").read_text()
    _assert_stopped(home, endpoints)


def _assert_stopped(home: Path, endpoints: dict) -> None:  # type: ignore[type-arg]
    """`lineage up` stopped its embedded servers and took its endpoints file with it."""
    assert not (home / "endpoints.json").exists()
    assert not (home / "postgres" / "postmaster.pid").exists(), "embedded Postgres left running"
    nats_port = int(endpoints["nats_url"].rsplit(":", 1)[1])
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{nats_port}", timeout=1)  # embedded nats-server stopped
