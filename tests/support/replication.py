"""A Postgres primary and a streaming replica on loopback (initdb, pg_basebackup -R), built
from the machine's PostgreSQL binaries, in temp dirs on free ports."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from tests.support.servers import free_port

BIN_DIRS = ("/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin")


def postgres_bin() -> Path | None:
    """The directory of initdb, pg_ctl and pg_basebackup, if the machine has them."""
    for directory in BIN_DIRS:
        if (Path(directory) / "pg_basebackup").exists():
            return Path(directory)
    found = shutil.which("pg_basebackup")
    return Path(found).parent if found else None


def _as_postgres_user() -> list[str]:
    # initdb and postgres refuse to run as root
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@dataclass
class ReplicatedPostgres:
    """A primary and a hot standby streaming from it; `stop()` removes both."""

    bin: Path
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="lineage-repl-")))
    primary_port: int = field(default_factory=free_port)
    replica_port: int = field(default_factory=free_port)

    @property
    def primary_dir(self) -> Path:
        return self.root / "primary"

    @property
    def replica_dir(self) -> Path:
        return self.root / "replica"

    def url(self, port: int, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{database}"

    def _run(self, *argv: str) -> None:
        subprocess.run(
            [*_as_postgres_user(), *argv], check=True, capture_output=True, cwd=self.root
        )

    def _start(self, data: Path, port: int) -> None:
        options = f"-p {port} -c listen_addresses=127.0.0.1 -k {self.root}"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-w",
            "start",
            "-l",
            str(data.with_suffix(".log")),
        )

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.primary_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
        )
        # the default pg_hba of --auth=trust lets loopback connect and replicate
        self._start(self.primary_dir, self.primary_port)
        self._run(
            str(self.bin / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.primary_port),
            "-U",
            "postgres",
            "-D",
            str(self.replica_dir),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        )
        self._start(self.replica_dir, self.replica_port)

    def stop(self) -> None:
        for data in (self.replica_dir, self.primary_dir):
            if (data / "postmaster.pid").exists():
                subprocess.run(
                    [
                        *_as_postgres_user(),
                        str(self.bin / "pg_ctl"),
                        "-D",
                        str(data),
                        "-m",
                        "immediate",
                        "stop",
                    ],
                    check=False,
                    capture_output=True,
                )
        shutil.rmtree(self.root, ignore_errors=True)


async def fetch_value(url: str, statement: str) -> Any:
    """One value of one statement, on a connection of its own (a server's URL, as the
    test's SQLAlchemy URLs are written)."""
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        return await conn.fetchval(statement)
    finally:
        await conn.close()
