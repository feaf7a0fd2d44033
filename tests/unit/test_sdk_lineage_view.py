"""`run.view_lineage()` and `dobject.view_lineage()` outside Jupyter print the explorer's
absolute deep link, built from the API URL the SDK resolved."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lineage_core.settings import Settings
from producer_sdk import _runtime, aio, rows
from producer_sdk import schema as lns
from producer_sdk.client import Client
from producer_sdk.lineage_view import deep_link

API = "http://lineage.example:8123/"


@pytest.fixture
def sdk(tmp_path: Path) -> Iterator[Client]:
    client = Client(Settings(home=tmp_path, nats_url="nats://127.0.0.1:9", api_url=API))
    previous = _runtime.use_client(client)
    try:
        yield client
    finally:
        _runtime.use_client(previous)


def test_a_run_prints_its_deep_link(sdk: Client, capsys: pytest.CaptureFixture[str]) -> None:
    run = lns.Run(pipeline=lns.Pipeline(name="p"))
    link = run.view_lineage()
    assert link == f"http://lineage.example:8123/ui/run/{run.id}"
    assert capsys.readouterr().out == link + "\n"


def test_a_dobject_prints_its_deep_link(sdk: Client, capsys: pytest.CaptureFixture[str]) -> None:
    dobject = rows.dobject_from_api({"id": str(uuid.uuid4()), "name": "output", "suffix": ".bam"})
    dobject.view_lineage()
    assert capsys.readouterr().out == f"http://lineage.example:8123/ui/dobject/{dobject.id}\n"


def test_a_record_of_an_async_client_links_to_that_client_api(tmp_path: Path) -> None:
    lineage = aio.AsyncClient(
        Settings(home=tmp_path, nats_url="nats://127.0.0.1:9", api_url="http://other:9000")
    )
    run = lns.Run(pipeline=lns.Pipeline(name="p"))
    lineage.core._bind(run)
    assert run.view_lineage() == f"http://other:9000/ui/run/{run.id}"


def test_the_graphql_endpoint_is_not_part_of_the_link() -> None:
    node = uuid.uuid4()
    assert deep_link("https://h/lineage/graphql", "run", node) == f"https://h/lineage/ui/run/{node}"
