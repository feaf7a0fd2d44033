"""Dataset versions from the SDK (docs/reference/versions.md), without a service: keys as
identity, the hash of the loaded content, and versions read from GraphQL answers."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path
from typing import Any

import pytest

import producer_sdk as ln
from lineage_core import events
from lineage_core.settings import Settings
from producer_sdk import operations as ops
from producer_sdk import schema as lns
from producer_sdk.core import ClientCore
from producer_sdk.dataset_fields import parse_fields
from producer_sdk.files import content_now, file_facts
from producer_sdk.records import DObjectVersion, InputVersion

KEY = "results/summary.csv"


def key_id(key: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"lineage:dobject-key/{key}")


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def output_of(dobject: ln.DObject, run: lns.Run) -> events.OutputRegistered:
    event = ops.plan_add(dobject, run, ops.Ledger())[-1].event
    assert isinstance(event, events.OutputRegistered)
    return event


def test_a_key_is_the_identity_and_every_add_a_write(tmp_path: Path) -> None:
    run = lns.Run(pipeline=lns.Pipeline(name="nightly"))
    first = ln.DObject(write(tmp_path / "out.csv", "a,b\n1,2\n"), key=KEY)
    second = ln.DObject(write(tmp_path / "out.csv", "a,b\n1,3\n"), key=KEY)
    assert first.id == second.id == key_id(KEY)
    assert (first.name, first.suffix, first.key) == ("summary", ".csv", KEY)
    one, two = output_of(first, run), output_of(second, run)
    assert one.dobject.id == two.dobject.id == key_id(KEY)
    assert one.dobject.hash != two.dobject.hash  # new content: a new version
    assert (one.dobject.name, one.dobject.suffix) == ("summary", ".csv")
    # the same content again is a write too (of the same version: its hash)
    again = ln.DObject(write(tmp_path / "out.csv", "a,b\n1,2\n"), key=KEY)
    assert again is not first
    assert output_of(again, run).dobject.hash == one.dobject.hash


def test_without_a_key_identity_stays_the_content_hash(tmp_path: Path) -> None:
    facts = file_facts(write(tmp_path / "out.csv", "x"))
    plain = ln.DObject.from_facts(facts, None)
    assert plain.id == uuid.uuid5(uuid.NAMESPACE_URL, f"lineage:dobject/{facts.hash}")
    assert plain.key is None
    assert ln.DObject.from_facts(facts, None, key="k").id == key_id("k")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"key": ""}, "key= takes a non-empty text"),
        ({"key": "/"}, "key= takes a non-empty text"),
        ({"key": 7}, "key= takes a non-empty text"),
        ({"key": "k" * 5000}, "at most 4096"),
        ({"key": "k", "version": ""}, "version= takes a non-empty text"),
        ({"key": "k", "version": "v" * 300}, "at most 256"),
    ],
)
def test_bad_keys_and_labels_are_refused(tmp_path: Path, kwargs: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        ln.DObject(write(tmp_path / "f.csv", "x"), **kwargs)


def test_load_sends_the_hash_of_the_content_loaded(tmp_path: Path) -> None:
    path = write(tmp_path / "in.csv", "old")
    dobject = ln.DObject.from_facts(file_facts(path), None, key="inputs/in.csv")
    assert content_now(path, dobject.facts) is dobject.facts  # unchanged: not hashed again
    write(path, "new content")
    os.utime(path, ns=(1, 1))  # a different mtime even on a coarse clock
    now = content_now(path, dobject.facts)
    assert now is not None
    assert now.hash == file_facts(path).hash != dobject.hash
    run = lns.Run(pipeline=lns.Pipeline(name="reader"))
    loaded = ops.plan_input(dobject, run, ops.Ledger(), now)[-1].event
    assert isinstance(loaded, events.InputLoaded)
    assert (loaded.dobject.hash, loaded.dobject.size) == (now.hash, len("new content"))
    assert content_now(tmp_path / "gone.csv", None) is None


def test_the_core_hashes_the_file_at_load(tmp_path: Path) -> None:
    """The client core (both faces) sends what is on disk when `load` is called."""
    core = ClientCore(Settings(home=tmp_path, nats_url="nats://127.0.0.1:9", api_url="x"))
    sent: list[ops.Message] = []

    async def keep(messages: list[ops.Message]) -> None:
        sent.extend(messages)

    core.publish = keep  # type: ignore[method-assign]
    path = write(tmp_path / "in.csv", "v1")
    dobject = ln.DObject.from_facts(file_facts(path), None)
    write(path, "v2 is longer")
    os.utime(path, ns=(2, 2))
    asyncio.run(core.load_input(dobject, lns.Run(pipeline=lns.Pipeline(name="p"))))
    loaded = sent[-1].event
    assert isinstance(loaded, events.InputLoaded)
    assert loaded.dobject.hash == file_facts(path).hash
    assert loaded.dobject.id == dobject.id  # the same dobject: the content picks the version


RUN = {"id": str(uuid.UUID(int=7)), "status": "COMPLETED", "name": None, "transform": None}
DOBJECT = {"id": str(key_id(KEY)), "name": "summary", "suffix": ".csv", "hash": "h2"}


def version_row(number: int, stale: bool = False) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=100 + number)),
        "number": number,
        "createdAt": f"2026-12-0{number}T02:00:00+00:00",
        "hash": f"h{number}",
        "size": "10",
        "label": None,
        "stale": stale,
        "fields": [{"name": "a", "type": "int", "description": None}],
        "run": RUN,
        "dobject": DOBJECT,
        "staleInputs": [],
    }


def test_versions_are_read_page_by_page_newest_first(tmp_path: Path) -> None:
    core = ClientCore(Settings(home=tmp_path, nats_url="nats://127.0.0.1:9", api_url="x"))
    asked: list[dict[str, Any]] = []
    pages = {
        None: ([version_row(3), version_row(2)], True),
        "c1": ([version_row(1)], False),
    }

    async def answer(document: str, variables: dict[str, Any], ryw: bool = True) -> Any:
        asked.append(dict(variables))
        nodes, more = pages[variables.get("after")]
        info = {"hasNextPage": more, "endCursor": "c1" if more else None}
        return {"dobject": {"versions": {"totalCount": 3, "pageInfo": info, "nodes": nodes}}}

    core.execute = answer  # type: ignore[method-assign,assignment]
    dobject = ln.DObject.from_facts(file_facts(write(tmp_path / "s.csv", "x")), None, key=KEY)
    versions = asyncio.run(core.related(dobject, "versions"))
    assert [v.number for v in versions] == [3, 2, 1]
    assert [a.get("after") for a in asked] == [None, "c1"]
    assert all(a["first"] == 1000 for a in asked)
    first = versions[0]
    assert isinstance(first, DObjectVersion)
    assert (first.hash, first.size, first.dobject.id, first.run.id) == (
        "h3",
        10,
        key_id(KEY),
        uuid.UUID(int=7),
    )
    assert [(f.name, f.type) for f in first.fields] == [("a", "int")]


def test_input_versions_keep_a_missing_version_as_none(tmp_path: Path) -> None:
    core = ClientCore(Settings(home=tmp_path, nats_url="nats://127.0.0.1:9", api_url="x"))

    async def answer(document: str, variables: dict[str, Any], ryw: bool = True) -> Any:
        assert "inputVersions" in document
        loaded = "2026-12-03T01:00:00+00:00"
        return {
            "run": {
                "inputVersions": [
                    {"dobject": DOBJECT, "version": version_row(2, stale=True), "loadedAt": loaded},
                    {
                        "dobject": {**DOBJECT, "id": str(uuid.UUID(int=9))},
                        "version": None,
                        "loadedAt": loaded,
                    },
                ]
            }
        }

    core.execute = answer  # type: ignore[method-assign,assignment]
    run = lns.Run(pipeline=lns.Pipeline(name="p"))
    inputs = asyncio.run(core.related(run, "input_versions"))
    assert all(isinstance(i, InputVersion) for i in inputs)
    assert [i.version.number if i.version else None for i in inputs] == [2, None]
    assert inputs[0].version is not None
    assert inputs[0].version.stale
    assert inputs[1].dobject.id == uuid.UUID(int=9)
    assert inputs[0].loaded_at.isoformat() == "2026-12-03T01:00:00+00:00"


def test_a_label_goes_with_the_write_and_fields_with_the_load(tmp_path: Path) -> None:
    run = lns.Run(pipeline=lns.Pipeline(name="nightly"))
    labelled = ln.DObject(write(tmp_path / "t.csv", "a"), key="t", version="2026-12-03")
    output = output_of(labelled, run)
    assert output.dobject.version == "2026-12-03"
    assert output.schema_version == events.CURRENT_SCHEMA_VERSION >= 3
    assert b'"version":"2026-12-03"' in events.encode(output)
    source = ln.DObject.from_facts(file_facts(write(tmp_path / "raw.csv", "id\n")), None)
    source.fields = parse_fields([("id", "int64")])
    loaded = ops.plan_input(source, run, ops.Ledger())[-1].event
    assert isinstance(loaded, events.InputLoaded)
    assert [(f.name, f.type) for f in loaded.fields or ()] == [("id", "int64")]
    unlabelled = output_of(ln.DObject.from_facts(file_facts(tmp_path / "t.csv"), None), run)
    assert b'"version"' not in events.encode(unlabelled)
