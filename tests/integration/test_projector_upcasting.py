"""Schema evolution: version 1 events are upcast to 2 and project beside version 2 ones.

The v1 golden events and the v2 golden events (given other ids, so both sets count) are
published together; every one is applied, the raw log keeps each as sent, and a rebuild
upcasts the v1 ones again to the same projection. Version 2 events the projector must
refuse (a v2 field on a v1 event, malformed column lineage, over a limit) go to the
dead-letter stream with their reason and the stream goes on.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from lineage_core import events, subjects
from lineage_core.settings import Settings
from lineage_core.subjects import subject_for
from projector.dlq import parked_messages
from projector.rebuild import rebuild
from projector.service import run_projector
from tests.support.projector import connect_js, dump, publish_raw, wait_applied

pytestmark = pytest.mark.integration

GOLDEN = Path(__file__).parents[1] / "golden"
ORDER = ("TransformRegistered", "RunStarted", "InputLoaded", "OutputRegistered", "RunFinished")
V1_RUN = "6f1c2a9e-3b1d-4c5e-9f0a-1b2c3d4e5f60"
V2_RUN = str(uuid.UUID(int=0x2222))


def _golden(version: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN / version / f"{name}.json").read_bytes())
    return data


def _v2(name: str) -> dict[str, Any]:
    """A v2 golden event with its own event id and run, so it is not a duplicate of v1."""
    data = _golden("v2", name)
    data["event_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"v2/{name}"))
    if "run_id" in data:
        data["run_id"] = V2_RUN
    return data


@pytest.fixture
async def projector(nats_url: str, database_url: str) -> AsyncIterator[Settings]:
    settings = Settings(nats_url=nats_url, database_url=database_url)
    task = asyncio.create_task(run_projector(settings))
    yield settings
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_v1_and_v2_golden_events_both_project(
    projector: Settings, nats_url: str, database_url: str
) -> None:
    nc, js = await connect_js(nats_url)
    last = 0
    for name in ORDER:
        v1 = (GOLDEN / "v1" / f"{name}.json").read_bytes().strip()
        await publish_raw(js, subject_for(name), v1)
        last = await publish_raw(js, subject_for(name), json.dumps(_v2(name)).encode())
    await wait_applied(database_url, last)
    dlq = await js.stream_info(subjects.DLQ_STREAM)
    await nc.close()

    snapshot = await dump(database_url)
    assert dlq.state.messages == 0
    runs = {dict(r)["id"]: dict(r) for r in snapshot["runs"]}
    assert runs[V1_RUN]["parent_run_id"] == "None"
    parent = _golden("v2", "RunStarted")["parent_run_id"]
    assert runs[V2_RUN]["parent_run_id"] == parent
    assert runs[parent]["status"] == "STARTED"  # a stub: named as a parent only
    output = {dict(d)["id"]: dict(d) for d in snapshot["dobjects"]}[
        _golden("v2", "OutputRegistered")["dobject"]["id"]
    ]
    assert [f["name"] for f in json.loads(output["fields"])] == [
        "read_id",
        "address.city",
        "quality",
    ]
    assert len(snapshot["column_edges"]) == 3
    # The raw log keeps the v1 payloads as sent; a rebuild upcasts them again.
    versions = sorted(json.loads(p)["schema_version"] for _, _, p in snapshot["raw_events"])
    assert versions == [1] * 5 + [2] * 5
    await rebuild(projector)
    assert await dump(database_url) == snapshot


async def test_refused_v2_events_are_dead_lettered_with_their_reason(
    projector: Settings, nats_url: str, database_url: str
) -> None:
    v1_with_parent = _golden("v1", "RunStarted") | {"parent_run_id": V2_RUN}
    duplicate_inputs = _v2("OutputRegistered")
    entry = duplicate_inputs["column_lineage"][0]
    entry["inputs"] = entry["inputs"] * 2
    no_inputs = _v2("OutputRegistered")
    no_inputs["column_lineage"] = [{"field": "read_id", "inputs": []}]
    oversized = _v2("OutputRegistered")
    oversized["fields"] = [{"name": f"column_{i:05d}_{'x' * 30}"} for i in range(events.MAX_FIELDS)]
    bad = [
        ("lineage.run.started", v1_with_parent, "parent_run_id"),
        ("lineage.output.registered", duplicate_inputs, "twice"),
        ("lineage.output.registered", no_inputs, "inputs"),
        ("lineage.output.registered", oversized, "exceeds"),
    ]
    nc, js = await connect_js(nats_url)
    for subject, data, _ in bad:
        await publish_raw(js, subject, json.dumps(data).encode())
    good = _v2("RunStarted")
    last = await publish_raw(js, "lineage.run.started", json.dumps(good).encode())
    await wait_applied(database_url, last)
    parked = [p async for p in parked_messages(js)]
    await nc.close()
    assert [p.original_sequence for p in parked] == [1, 2, 3, 4]
    for p, (_, _, reason) in zip(parked, bad, strict=True):
        assert reason in p.reason
        assert p.headers[subjects.ERROR_HEADER] == p.reason
    runs = {dict(r)["id"] for r in (await dump(database_url))["runs"]}
    assert V2_RUN in runs  # the stream went on
