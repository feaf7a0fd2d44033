"""`dobject.watch(...)` against the running service (docs/reference/watches.md): a script
that waits for new upstream data gets each new version, in order, with its writer."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import producer_sdk as ln
from lineage_core.settings import Settings
from producer_sdk import _runtime, rows
from producer_sdk import schema as lns
from producer_sdk.client import Client
from producer_sdk.errors import QueryError
from tests.support.service import Service

pytestmark = pytest.mark.e2e


@pytest.fixture
def sdk(service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    monkeypatch.chdir(tmp_path)
    client = Client(Settings())  # the service's LINEAGE_* env, as a user's process has it
    previous = _runtime.use_client(client)
    _runtime.context.reset()
    try:
        yield client
    finally:
        client.finish_active()
        client.close()
        _runtime.use_client(previous)
        _runtime.context.reset()


def write(path: Path, text: str, key: str, reads: ln.DObject | None = None) -> lns.Run:
    with ln.Run(pipeline=lns.Pipeline(name=f"write {key}")) as run:
        if reads is not None:
            reads.load(is_run_input=True)
        path.write_text(text)
        ln.add(ln.DObject(path, key=key))
    return run


def test_a_watch_sees_new_versions_upstream(service: Service, sdk: Client, tmp_path: Path) -> None:
    raw_path, report_path = tmp_path / "raw.csv", tmp_path / "report.csv"
    write(raw_path, "a\n1\n", "raw.csv")
    raw = ln.DObject(raw_path, key="raw.csv")
    write(report_path, "n\n1\n", "report.csv", reads=raw)
    report = ln.DObject(report_path, key="report.csv")

    # the runtime types watch() as an Iterator; it returns the Watch context manager
    with report.watch(kinds=["NEW_VERSION"], timeout=30) as changes:  # type: ignore[attr-defined]
        upstream = write(raw_path, "a\n1\n2\n", "raw.csv")  # after watch() returned
        rewritten = write(report_path, "n\n2\n", "report.csv", reads=raw)
        got = [next(changes) for _ in range(2)]
    assert [c.kind for c in got] == ["NEW_VERSION", "NEW_VERSION"]
    assert got[0].sequence < got[1].sequence
    assert [(c.dobject.id if c.dobject else None, c.distance) for c in got] == [
        (raw.id, 2),
        (report.id, 0),
    ]
    assert [c.run for c in got] == [upstream, rewritten]


def test_an_unknown_root_is_not_found(service: Service, sdk: Client) -> None:
    nowhere = rows.dobject_from_api({"id": str(uuid.uuid4()), "name": "none", "suffix": ""})
    with pytest.raises(QueryError) as refused:
        next(nowhere.watch(timeout=10))
    assert refused.value.code == "NOT_FOUND"
