"""The whole service as users run it: `lineage up` in a subprocess, against test servers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.servers import free_port


@dataclass
class Service:
    process: subprocess.Popen[bytes]
    api_url: str
    nats_url: str
    database_url: str
    home: Path
    env: dict[str, str]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def lineage_command() -> list[str]:
    return [sys.executable, "-m", "lineage_cli.main"]


def start_service(
    nats_url: str | None, database_url: str, home: Path, extra_env: dict[str, str] | None = None
) -> Service:
    """`lineage up` in a subprocess, ready; `nats_url=None` lets it embed its nats-server."""
    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if k != "LINEAGE_NATS_URL"}
    env = {
        **inherited,
        **({"LINEAGE_NATS_URL": nats_url} if nats_url else {}),
        "LINEAGE_DATABASE_URL": database_url,
        "LINEAGE_HOME": str(home),
        "LINEAGE_PORT": str(port),
        "LINEAGE_API_URL": f"http://127.0.0.1:{port}",
        **(extra_env or {}),
    }
    home.mkdir(parents=True, exist_ok=True)
    log = home / "service.log"
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [*lineage_command(), "up"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    service = Service(
        process, f"http://127.0.0.1:{port}", nats_url or "", database_url, home, env, log
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"lineage up exited {process.returncode}:\n{service.output()}")
        try:
            if httpx.get(f"{service.api_url}/readyz", timeout=1).status_code == 200:
                return service
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    service.kill()
    raise RuntimeError(f"lineage up not ready within 60s:\n{service.output()}")
