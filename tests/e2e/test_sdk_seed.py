"""The seed program of docs/reference/sdk.md, as its own script, against `lineage up`;
then the SDK's queries and errors in this process against the same service."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import producer_sdk as ln
from lineage_core.settings import Settings
from producer_sdk import _runtime
from producer_sdk import schema as lns
from producer_sdk.client import Client
from tests.support.graphql import graphql_at_tip
from tests.support.seed import SEED
from tests.support.service import Service

pytestmark = pytest.mark.e2e


WHO_MADE_THE_BAM = """
{ runs(filter: {output: {name: "output", suffix: ".bam"}}) {
    totalCount nodes { id status transform { name version type } inputs { name suffix } } } }
"""


def graphql(service: Service, query: str) -> dict[str, Any]:
    """An answer that includes everything published so far (read-your-writes on the tip)."""
    return graphql_at_tip(service.api_url, query)


@pytest.fixture
def sdk(service: Service, tmp_path: Path) -> Iterator[Client]:
    client = Client(Settings())  # LINEAGE_* of the service, as a user's process has them
    previous = _runtime.use_client(client)
    _runtime.context._global_run, _runtime.context._stack = None, []
    try:
        yield client
    finally:
        for run in list(client.ledger.active_runs.values()):
            client.finish_run(run)
        client.close()
        _runtime.use_client(previous)
        _runtime.context._global_run, _runtime.context._stack = None, []


def test_seed_program_runs_as_written_any_number_of_times(
    service: Service, sdk: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "seed.py"
    script.write_text(SEED)
    outputs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,
            env=service.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        outputs.append(done)
    assert "Cell Ranger" in outputs[0].stdout  # the printed targets
    assert "returning existing DObject input.fastq.gz" in outputs[1].stderr
    assert "returning existing DObject output.bam" in outputs[1].stderr

    made = graphql(service, WHO_MADE_THE_BAM)["runs"]
    assert made["totalCount"] == 1
    assert made["nodes"][0]["transform"] == {
        "name": "Cell Ranger",
        "version": "7",
        "type": "PIPELINE",
    }
    assert made["nodes"][0]["inputs"] == [{"name": "input", "suffix": ".fastq.gz"}]
    runs = graphql(service, "{ runs { totalCount nodes { status transform { name } } } }")["runs"]
    assert runs["totalCount"] == 4  # two of each pipeline, all finished at exit
    assert {n["status"] for n in runs["nodes"]} == {"COMPLETED"}
    assert graphql(service, "{ dobjects { totalCount } }")["dobjects"]["totalCount"] == 2

    # `lineage demo`'s entry point, in a scratch directory, on the same service.
    demo_dir = tmp_path / "demo"
    demo_dir.mkdir()
    demo = subprocess.run(
        [sys.executable, "-c", "from producer_sdk.demo import run_demo; print(run_demo())"],
        cwd=demo_dir,
        env=service.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert demo.returncode == 0, demo.stderr
    assert re.fullmatch(
        r"run [0-9a-f-]{36} of pipeline Cell Ranger v7 produced output\.bam "
        r"from inputs: input\.fastq\.gz\n",
        demo.stdout,
    ), demo.stdout
    assert made["nodes"][0]["id"] in demo.stdout

    # The SDK in this process: queries, read-your-writes, errors.
    monkeypatch.chdir(tmp_path)
    with ln.Session() as ss:
        cell_ranger_runs = ss.select(lns.Run).join(lns.Pipeline, name="Cell Ranger").all()
        assert len(cell_ranger_runs) == 3  # two seed runs and the demo's
        with pytest.raises(ln.MultipleResultsFound, match="found 3 rows"):
            ss.select(lns.Run).join(lns.Pipeline, name="Cell Ranger").one()
        with pytest.raises(ln.NoResultFound, match=r"select\(DObject, name='nothing'\)"):
            ss.select(ln.DObject, name="nothing").one()
        assert ss.select(ln.DObject, name="nothing").first() is None
        bam = ss.select(ln.DObject, name="output", suffix=".bam").one()
    assert bam.source is not None
    assert bam.source.pipeline is not None
    assert bam.source.pipeline.name == "Cell Ranger"
    assert ln.select(lns.Pipeline, name="Cell Ranger").one().version == "7"

    with pytest.raises(ln.UnknownPipeline) as unknown:
        ln.Run(pipeline_name="STAR aligner")
    assert "ln.add(lns.Pipeline(name='STAR aligner', v='1'))" in str(unknown.value)

    ln.add(lns.Pipeline(name="Cell Ranger", v="8"))
    latest = ln.Run(pipeline_name="Cell Ranger", global_context=True)
    assert latest.pipeline is not None
    assert latest.pipeline.version == "8"
    fresh = tmp_path / "fresh.csv"
    fresh.write_text("a,b\n1,2\n")
    dobject = ln.add(ln.DObject(fresh))
    # Read-your-writes: the very next query sees this process's OutputRegistered.
    found = ln.select(ln.DObject, hash=dobject.hash).one()
    assert found.id == dobject.id
    assert found.source == latest
    assert [d.id for d in latest.outputs] == [dobject.id]
    assert ln.select(lns.Run).join(lns.Pipeline, name="Cell Ranger", v="8").one() == latest

    # The async variant answers the same question against the same service.
    async def ask_async() -> tuple[str, list[str]]:
        from producer_sdk import aio

        async with aio.AsyncClient() as lineage:
            made_it = (
                await lineage.select(lns.Run).join(ln.DObject, name="output", suffix=".bam").one()
            )
            inputs = await lineage.related(made_it, "inputs")
            return str(made_it.id), [f"{d.name}{d.suffix}" for d in inputs]

    assert asyncio.run(ask_async()) == (made["nodes"][0]["id"], ["input.fastq.gz"])
