"""`lineage api` and `lineage projector` as separate processes, as a deployment runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.servers import free_port
from tests.support.service import lineage_command


@dataclass
class Part:
    """One running `lineage <kind>` process and its combined output."""

    kind: str
    process: subprocess.Popen[bytes]
    log: Path
    port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def readyz(self) -> tuple[int, dict[str, Any]]:
        response = httpx.get(f"{self.url}/readyz", timeout=5)
        return response.status_code, response.json()


def start_part(
    kind: str,
    nats_url: str,
    database_url: str,
    home: Path,
    *options: str,
    **extra_env: str,
) -> Part:
    """Start `lineage api` or `lineage projector` with `options` (not waiting for readiness)."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port() if kind == "api" else None
    env = {
        **os.environ,
        "LINEAGE_NATS_URL": nats_url,
        "LINEAGE_DATABASE_URL": database_url,
        "LINEAGE_HOME": str(home),
        **({"LINEAGE_PORT": str(port)} if port else {}),
        **extra_env,
    }
    log = home / f"{kind}-{time.monotonic_ns()}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*lineage_command(), kind, *options], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    return Part(kind, process, log, port)


def wait_for_part(condition: Any, timeout: float, what: str, part: Part | None = None) -> Any:
    """Like waiting.wait_for, and fails at once with its output if `part` exited."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        if part is not None and part.process.poll() is not None:
            raise AssertionError(f"{part.kind} exited {part.process.returncode}:\n{part.output()}")
        try:
            last = condition()
            if last:
                return last
        except (httpx.HTTPError, OSError, ValueError) as exc:
            last = exc
        time.sleep(0.05)
    tail = part.output()[-3000:] if part is not None else ""
    raise AssertionError(f"not {what} within {timeout}s (last: {last!r})\n{tail}")
