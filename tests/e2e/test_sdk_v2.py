"""The SDK's version 2 events through the whole service: a run started with `parent=`
is that run's child in the API, and `fields=` become the DObject's `fields`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import producer_sdk as ln
from lineage_core.settings import Settings
from producer_sdk import _runtime
from producer_sdk import schema as lns
from producer_sdk.client import Client
from tests.support.graphql import graphql_at_tip
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


def test_parent_and_fields_reach_the_api(service: Service, sdk: Client, tmp_path: Path) -> None:
    nightly = ln.Run(pipeline=lns.Pipeline(name="nightly"), global_context=True)
    with ln.Run(pipeline=lns.Pipeline(name="count genes"), parent=nightly) as child:
        counts = tmp_path / "counts.csv"
        counts.write_text("gene,count\nBRCA1,12\n")
        table = ln.add(
            ln.DObject(counts, fields=[{"name": "gene", "type": "string"}, ("count", "int64")])
        )
    data = graphql_at_tip(
        service.api_url,
        f'{{ run(id: "{child.id}") {{ parent {{ id }} }} '
        f'parent: run(id: "{nightly.id}") {{ children {{ id }} }} '
        f'dobject(id: "{table.id}") {{ fields {{ name type }} }} }}',
    )
    assert data["run"]["parent"] == {"id": str(nightly.id)}
    assert data["parent"]["children"] == [{"id": str(child.id)}]
    assert data["dobject"]["fields"] == [
        {"name": "gene", "type": "string"},
        {"name": "count", "type": "int64"},
    ]
