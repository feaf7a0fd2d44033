"""The durable local outbox: events NATS did not acknowledge, kept until it does.

One file per process under `LINEAGE_HOME/outbox/`, named
`<host>-<pid>-<start ms>.jsonl`. Each line is one event, written and fsynced before the
call that produced it returns:

    {"subject": "lineage.run.started", "event_id": "<uuid>", "event": "<event JSON>"}

`event` keeps the event's exact bytes (as a JSON string). A last line cut short by a
crash is ignored. Lines are re-sent in file order; the `Nats-Msg-Id` header (the
event id) makes a re-send of an event that did arrive harmless. Every change to the
directory happens under an exclusive `flock` on `outbox/.lock`, so the owning process
and `lineage outbox flush` never interleave.

The owning process reads its file once and then keeps the waiting entries in memory: an
append is one write and one fsync, an acknowledgement only moves a counter. The file
may therefore start with lines already acknowledged (re-sent after a crash, which the
event id makes harmless); it is rewritten without them only once they are at least
`COMPACT_AFTER` and as many as the entries still waiting (so rewriting costs O(1) per
event), and removed as soon as nothing waits. If someone else changed the file
(`lineage outbox flush` rewrote or removed it), the owner notices by its inode and size
and reads it again: the file stays the durable truth.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from lineage_core.process import pid_alive

SUFFIX: Final = ".jsonl"
LOCK_NAME: Final = ".lock"
# Rewrite the file without its acknowledged prefix once that many lines (and as many as
# still wait) were acknowledged.
COMPACT_AFTER: Final = 1024


@dataclass(frozen=True)
class OutboxEntry:
    """One event waiting for its JetStream ack."""

    subject: str
    event_id: str
    data: bytes


def encode_entry(entry: OutboxEntry) -> bytes:
    """One outbox line (with its newline)."""
    line = {"subject": entry.subject, "event_id": entry.event_id, "event": entry.data.decode()}
    return (json.dumps(line, separators=(",", ":")) + "\n").encode()


def decode_lines(raw: bytes) -> list[OutboxEntry]:
    """The entries of an outbox file; an unterminated or unreadable last line is skipped."""
    entries = []
    lines = raw.split(b"\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            entries.append(OutboxEntry(obj["subject"], obj["event_id"], obj["event"].encode()))
        except (ValueError, KeyError, TypeError, AttributeError):
            if i == len(lines) - 1:
                continue  # a write cut short by a crash: it was never acknowledged to anyone
            raise ValueError(f"outbox line {i + 1} is not an outbox entry") from None
    return entries


def read_entries(path: Path) -> list[OutboxEntry]:
    try:
        return decode_lines(path.read_bytes())
    except FileNotFoundError:
        return []


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked(directory: Path, blocking: bool = True) -> Iterator[bool]:
    """Hold the outbox directory's lock; yields False if `blocking=False` and it is taken."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def replace_entries(path: Path, entries: list[OutboxEntry]) -> None:
    """Atomically make `path` hold exactly `entries` (removed when empty). Caller holds the lock."""
    if not entries:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        _fsync_dir(path.parent)
        return
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as f:
        for entry in entries:
            f.write(encode_entry(entry))
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    _fsync_dir(path.parent)


class Outbox:
    """This process's outbox file, and its waiting entries in memory."""

    def __init__(self, directory: Path, name: str | None = None) -> None:
        self.directory = directory
        self.path = directory / (
            name or f"{socket.gethostname()}-{os.getpid()}-{int(time.time() * 1000)}{SUFFIX}"
        )
        self._pending: deque[OutboxEntry] = deque()  # waiting, in file order
        self._acked_lines = 0  # lines at the start of the file acknowledged since written
        self._file: tuple[int, int] | None = None  # (inode, size) as this object left it
        self._loaded = False

    def _file_state(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size)

    def sync(self) -> None:
        """Read the file if this object has not yet, or if someone else changed it since
        (`lineage outbox flush`). One stat otherwise. Caller holds the lock (or reads only)."""
        state = self._file_state()
        if self._loaded and state == self._file:
            return
        self._pending = deque(read_entries(self.path) if state is not None else [])
        self._acked_lines = 0
        self._file, self._loaded = state, True

    def append(self, entry: OutboxEntry) -> None:
        """Write one entry and fsync it before returning."""
        with locked(self.directory):
            self.sync()
            new = self._file is None
            with self.path.open("ab") as f:
                f.write(encode_entry(entry))
                f.flush()
                os.fsync(f.fileno())
                st = os.fstat(f.fileno())
            if new:
                _fsync_dir(self.directory)
            self._file = (st.st_ino, st.st_size)
            self._pending.append(entry)

    def has_pending(self) -> bool:
        """Cheap: no file system access unless this process has entries waiting (then one
        stat, to notice that `lineage outbox flush` sent them)."""
        if not self._loaded:
            self.sync()
        if not self._pending:
            return False
        if self._file_state() is None:  # `lineage outbox flush` sent them
            self._pending.clear()
            self._acked_lines, self._file = 0, None
        return bool(self._pending)

    def __len__(self) -> int:
        """Entries waiting (as this object knows them)."""
        return len(self._pending)

    def entries(self) -> list[OutboxEntry]:
        """The entries waiting, in order."""
        self.sync()
        return list(self._pending)

    def first(self, count: int) -> list[OutboxEntry]:
        """The first `count` entries waiting (no file access)."""
        return [self._pending[i] for i in range(min(count, len(self._pending)))]

    def drop_first(self, count: int) -> None:
        """Forget the first `count` entries (they were acknowledged). Caller holds the lock.

        The file is removed once nothing waits, and rewritten without its acknowledged
        prefix only when that prefix is long (see the module docstring)."""
        for _ in range(min(count, len(self._pending))):
            self._pending.popleft()
        self._acked_lines += max(count, 0)
        if not self._pending:
            if self._file is not None or self._file_state() is not None:
                replace_entries(self.path, [])
            self._acked_lines, self._file = 0, None
        elif self._acked_lines >= max(COMPACT_AFTER, len(self._pending)):
            replace_entries(self.path, list(self._pending))
            self._acked_lines, self._file = 0, self._file_state()


@dataclass(frozen=True)
class OutboxFile:
    """One process's outbox file as operators see it."""

    path: Path
    pid: int | None
    host: str
    events: int
    alive: bool


def list_files(directory: Path) -> list[OutboxFile]:
    """Every outbox file under `directory`, oldest first."""
    if not directory.is_dir():
        return []
    files = sorted(directory.glob(f"*{SUFFIX}"), key=lambda p: (p.stat().st_mtime, p.name))
    out = []
    for path in files:
        host, pid = _owner(path)
        alive = host == socket.gethostname() and pid is not None and pid_alive(pid)
        out.append(OutboxFile(path, pid, host, len(read_entries(path)), alive))
    return out


def _owner(path: Path) -> tuple[str, int | None]:
    parts = path.name[: -len(SUFFIX)].rsplit("-", 2)  # host-pid-start
    if len(parts) == len(("host", "pid", "start")) and parts[1].isdigit():
        return parts[0], int(parts[1])
    return "", None
