"""Schema evolution: after a (simulated) v2, v1 events are upcast and project like v2 ones.

The simulated v2 makes `RunStarted.run_name` required; its upcaster from v1 names an
unnamed run after its id. The projector is given v2 as the current version (models,
CURRENT_SCHEMA_VERSION, UPCASTERS), then a v2 event and the v1 golden events are published.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from pydantic import Field, TypeAdapter

from lineage_core import events
from lineage_core.ids import transform_id
from lineage_core.settings import Settings
from lineage_core.subjects import subject_for
from projector import consumer
from projector.rebuild import rebuild
from projector.service import run_projector
from tests.support.projector import connect_js, dump, publish_raw, wait_applied

pytestmark = pytest.mark.integration

GOLDEN = Path(__file__).parents[1] / "golden" / "v1"
ORDER = ("TransformRegistered", "RunStarted", "InputLoaded", "OutputRegistered", "RunFinished")


class TransformRegisteredV2(events.TransformRegistered):
    schema_version: Literal[2] = 2


class RunStartedV2(events.RunStarted):
    schema_version: Literal[2] = 2
    run_name: events.Name  # required from v2 on


class InputLoadedV2(events.InputLoaded):
    schema_version: Literal[2] = 2


class OutputRegisteredV2(events.OutputRegistered):
    schema_version: Literal[2] = 2


class RunFinishedV2(events.RunFinished):
    schema_version: Literal[2] = 2


EventV2 = Annotated[
    TransformRegisteredV2 | RunStartedV2 | InputLoadedV2 | OutputRegisteredV2 | RunFinishedV2,
    Field(discriminator="event_type"),
]


def v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("event_type") == "RunStarted" and not data.get("run_name"):
        return {**data, "run_name": f"run {str(data.get('run_id', ''))[:8]}"}
    return data


@pytest.fixture
def schema_v2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "CURRENT_SCHEMA_VERSION", 2)
    monkeypatch.setattr(events.upcast, "__defaults__", (2,))
    monkeypatch.setitem(events.UPCASTERS, 1, v1_to_v2)
    monkeypatch.setattr(events, "_EVENT_ADAPTER", TypeAdapter(EventV2))
    monkeypatch.setattr(consumer, "CURRENT_SCHEMA_VERSION", 2)


async def test_v1_golden_events_after_v2_both_project(
    schema_v2: None, nats_url: str, database_url: str
) -> None:
    settings = Settings(nats_url=nats_url, database_url=database_url)
    task = asyncio.create_task(run_projector(settings))
    nc, js = await connect_js(nats_url)
    v2_run = uuid.uuid4()
    v2 = {
        "event_id": str(uuid.uuid4()),
        "event_type": "RunStarted",
        "schema_version": 2,
        "occurred_at": "2026-11-25T01:00:00Z",
        "producer": "producer_sdk/0.2",
        "run_id": str(v2_run),
        "run_name": "v2 run",
        "transform": {
            "id": str(transform_id("pipeline", "p", "2")),
            "type": "pipeline",
            "name": "p",
            "version": "2",
        },
    }
    await publish_raw(js, "lineage.run.started", json.dumps(v2).encode())
    for name in ORDER:
        last = await publish_raw(
            js, subject_for(name), (GOLDEN / f"{name}.json").read_bytes().strip()
        )
    unnamed = json.loads((GOLDEN / "RunStarted.json").read_text())
    unnamed.pop("run_name")
    unnamed.update(event_id=str(uuid.uuid4()), run_id=str(uuid.uuid4()))
    last = await publish_raw(js, "lineage.run.started", json.dumps(unnamed).encode())
    await wait_applied(database_url, last)
    dlq = await js.stream_info("LINEAGE_DLQ")
    await nc.close()

    snapshot = await dump(database_url)
    runs = {dict(r)["id"]: dict(r) for r in snapshot["runs"]}
    assert dlq.state.messages == 0
    assert runs[str(v2_run)]["name"] == "v2 run"
    golden = runs["6f1c2a9e-3b1d-4c5e-9f0a-1b2c3d4e5f60"]
    assert (golden["name"], golden["status"]) == ("sample A", "FAILED")
    assert runs[unnamed["run_id"]]["name"] == f"run {unnamed['run_id'][:8]}"  # upcast
    assert len(snapshot["dobjects"]) == 2
    assert len(snapshot["transforms"]) == 3
    # The raw log keeps the v1 payloads as sent; a rebuild upcasts them again.
    versions = sorted(json.loads(p)["schema_version"] for _, _, p in snapshot["raw_events"])
    assert versions == [1] * 6 + [2]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await rebuild(settings)
    assert await dump(database_url) == snapshot
