"""Real servers for tests: a nats-server per session on a free port, fresh Postgres databases
(the binary and the ports found as `lineage up` finds them)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

# Re-exported for the tests (the `x as x` form is what mypy takes as an explicit export).
from lineage_cli.embedded import free_port as free_port  # noqa: PLC0414
from lineage_cli.embedded import nats_server_binary as nats_server_binary  # noqa: PLC0414


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


@dataclass
class NatsServer:
    """A JetStream nats-server that a test can stop and start again on the same store."""

    port: int = field(default_factory=free_port)
    store: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="lineage-nats-")))
    process: subprocess.Popen[bytes] | None = None
    extra_args: tuple[str, ...] = ()  # e.g. ("--user", "u", "--pass", "p")

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        self.process = subprocess.Popen(
            [
                nats_server_binary(),
                "-js",
                "-sd",
                str(self.store),
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
                *self.extra_args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.store, ignore_errors=True)


class PostgresServer:
    """Where test databases are created: LINEAGE_TEST_DATABASE_URL, the local server,
    or (on a machine with neither) an embedded pgserver in a temp dir."""

    def __init__(self) -> None:
        self._embedded = None
        self._tmp: str | None = None
        url = os.environ.get("LINEAGE_TEST_DATABASE_URL")
        if url:
            self.base_url = url
        elif _reachable("postgresql://postgres@127.0.0.1:5432/postgres"):
            self.base_url = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
        else:
            import pgserver

            self._tmp = tempfile.mkdtemp(prefix="lineage-pg-")
            self._embedded = pgserver.get_server(self._tmp, cleanup_mode="stop")
            self.base_url = f"postgresql+asyncpg://postgres@/postgres?host={self._tmp}"

    def url_for(self, database: str) -> str:
        head, _, tail = self.base_url.partition("?")
        prefix = head.rsplit("/", 1)[0]
        return f"{prefix}/{database}" + (f"?{tail}" if tail else "")

    def _admin_dsn(self) -> str:
        return self.base_url.replace("postgresql+asyncpg://", "postgresql://")

    async def create_database(self, template: str | None = None) -> str:
        name = f"lineage_test_{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(self._admin_dsn())
        try:
            tpl = f" TEMPLATE {template}" if template else ""
            await conn.execute(f'CREATE DATABASE "{name}"{tpl}')
        finally:
            await conn.close()
        return name

    async def drop_database(self, name: str) -> None:
        conn = await asyncpg.connect(self._admin_dsn())
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    def close(self) -> None:
        if self._embedded is not None:
            self._embedded.cleanup()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)


def _reachable(dsn: str) -> bool:
    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(dsn, timeout=2)
        except (TimeoutError, OSError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True

    return asyncio.run(probe())
