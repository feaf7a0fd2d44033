"""The outbox file format and its bookkeeping (no NATS)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from producer_sdk import outbox
from producer_sdk.outbox import Outbox, OutboxEntry

EVENT = b'{"event_id":"e1","event_type":"RunFinished","note":"\\u00e9 \\"quoted\\""}'


def entry(n: int) -> OutboxEntry:
    return OutboxEntry("lineage.run.finished", f"id-{n}", EVENT.replace(b"e1", f"e{n}".encode()))


def test_a_line_keeps_the_event_bytes_exactly() -> None:
    line = outbox.encode_entry(entry(1))
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    assert json.loads(line) == {
        "subject": "lineage.run.finished",
        "event_id": "id-1",
        "event": EVENT.replace(b"e1", b"e1").decode(),
    }
    assert outbox.decode_lines(line) == [entry(1)]


def test_a_line_cut_short_by_a_crash_is_skipped() -> None:
    raw = outbox.encode_entry(entry(1)) + outbox.encode_entry(entry(2))[:30]
    assert outbox.decode_lines(raw) == [entry(1)]


def test_a_corrupt_line_in_the_middle_is_an_error() -> None:
    raw = outbox.encode_entry(entry(1)) + b"garbage\n" + outbox.encode_entry(entry(2))
    with pytest.raises(ValueError, match="line 2"):
        outbox.decode_lines(raw)


def test_append_keeps_order_and_drop_first_forgets_acked(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox")
    assert not box.has_pending()
    assert box.entries() == []
    for n in range(5):
        box.append(entry(n))
    assert box.has_pending()
    assert [e.event_id for e in box.entries()] == [f"id-{n}" for n in range(5)]
    assert box.path.name.startswith(f"{os.uname().nodename}-{os.getpid()}-")
    with outbox.locked(box.directory):
        box.drop_first(2)
    assert [e.event_id for e in box.entries()] == ["id-2", "id-3", "id-4"]
    with outbox.locked(box.directory):
        box.drop_first(3)
    assert not box.path.exists()
    assert not box.has_pending()


def test_a_flush_by_an_operator_clears_the_pending_flag(tmp_path: Path) -> None:
    box = Outbox(tmp_path)
    box.append(entry(1))
    with outbox.locked(tmp_path):
        outbox.replace_entries(box.path, [])
    assert not box.has_pending()


def test_the_lock_is_exclusive(tmp_path: Path) -> None:
    with outbox.locked(tmp_path) as first:
        assert first
        with outbox.locked(tmp_path, blocking=False) as second:
            assert not second
    with outbox.locked(tmp_path, blocking=False) as again:
        assert again


def test_list_files_names_owner_and_liveness(tmp_path: Path) -> None:
    mine = Outbox(tmp_path)
    mine.append(entry(1))
    dead = Outbox(tmp_path, name=f"{os.uname().nodename}-999999999-1.jsonl")
    dead.append(entry(2))
    dead.append(entry(3))
    found = {f.path.name: f for f in outbox.list_files(tmp_path)}
    assert found[mine.path.name].alive
    assert found[mine.path.name].events == 1
    assert found[mine.path.name].pid == os.getpid()
    assert not found[dead.path.name].alive
    assert found[dead.path.name].events == 2
    assert outbox.list_files(tmp_path / "missing") == []


def test_appends_and_acks_never_read_the_file_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = Outbox(tmp_path)
    box.append(entry(0))
    reads: list[Path] = []
    real = outbox.read_entries

    def counted(path: Path) -> list[OutboxEntry]:
        reads.append(path)
        return real(path)

    monkeypatch.setattr(outbox, "read_entries", counted)
    for n in range(1, 200):
        box.append(entry(n))
        assert box.has_pending()
    with outbox.locked(tmp_path):
        box.drop_first(50)
    assert [e.event_id for e in box.first(2)] == ["id-50", "id-51"]
    assert len(box) == 150
    assert reads == []


def test_acked_lines_stay_until_compaction_and_a_crash_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "COMPACT_AFTER", 4)
    box = Outbox(tmp_path)
    for n in range(10):
        box.append(entry(n))
    with outbox.locked(tmp_path):
        box.drop_first(3)
    # The file still holds the acknowledged prefix: a process reading it after a crash
    # re-sends those (harmless, the event id de-duplicates) and everything waiting.
    after_crash = Outbox(tmp_path, name=box.path.name)
    assert [e.event_id for e in after_crash.entries()] == [f"id-{n}" for n in range(10)]
    with outbox.locked(tmp_path):
        box.drop_first(2)  # 5 acknowledged >= COMPACT_AFTER and >= the 5 waiting
    assert [e.event_id for e in outbox.read_entries(box.path)] == [f"id-{n}" for n in range(5, 10)]
    box.append(entry(10))
    assert [e.event_id for e in Outbox(tmp_path, name=box.path.name).entries()] == [
        f"id-{n}" for n in range(5, 11)
    ]


def test_the_owner_rereads_a_file_an_operator_flush_rewrote(tmp_path: Path) -> None:
    box = Outbox(tmp_path)
    for n in range(4):
        box.append(entry(n))
    with outbox.locked(tmp_path):  # what `lineage outbox flush` does after sending two
        outbox.replace_entries(box.path, outbox.read_entries(box.path)[2:])
    box.append(entry(4))
    assert [e.event_id for e in box.entries()] == ["id-2", "id-3", "id-4"]
    assert [e.event_id for e in outbox.read_entries(box.path)] == ["id-2", "id-3", "id-4"]
