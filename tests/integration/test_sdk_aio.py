"""`producer_sdk.aio` on the caller's event loop, against a real nats-server."""

from __future__ import annotations

from pathlib import Path

import pytest

import producer_sdk as ln
from lineage_core.settings import Settings
from producer_sdk import _runtime, aio
from producer_sdk import schema as lns
from tests.support.sdk import CLOSED_API, read_stream

pytestmark = pytest.mark.integration


async def test_async_producer_publishes_the_same_events(nats_url: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", nats_url=nats_url, api_url=CLOSED_API)
    (tmp_path / "reads.fastq").write_text("@r\nACGT\n+\nIIII\n")
    (tmp_path / "out.bam").write_bytes(b"BAM\1")
    async with aio.AsyncClient(settings) as lineage:
        pipeline = await lineage.add(lns.Pipeline(name="align", v="2"))
        run = await lineage.run(pipeline=pipeline, name="sample 1")
        reads = await lineage.dobject(tmp_path / "reads.fastq")
        assert await lineage.load(reads, run) == (tmp_path / "reads.fastq").resolve()
        bam = await lineage.add(await lineage.dobject(tmp_path / "out.bam", source=run))
        assert bam.source is run
        assert lineage.min_sequence > 0
        assert await lineage.dobject(tmp_path / "out.bam") is bam  # same content: same record
        with pytest.raises(aio.ServiceUnreachable):
            await lineage.select(lns.Run).join(lns.DObject, name="out").one()
    got = [e for _, _, e in await read_stream(nats_url)]
    assert [e.event_type for e in got] == [
        "TransformRegistered",
        "RunStarted",
        "InputLoaded",
        "OutputRegistered",
        "RunFinished",
    ]
    assert got[-1].status == "completed"


async def test_an_exception_fails_the_client_runs(nats_url: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", nats_url=nats_url, api_url=CLOSED_API)
    with pytest.raises(RuntimeError, match="disk full"):  # noqa: PT012 - the block is the subject
        async with aio.AsyncClient(settings) as lineage:
            await lineage.run(pipeline=lns.Pipeline(name="p"))
            raise RuntimeError("disk full")
    finished = [e for _, _, e in await read_stream(nats_url)][-1]
    assert finished.event_type == "RunFinished"
    assert (finished.status, finished.error) == ("failed", "RuntimeError: disk full")


async def test_records_of_an_async_client_never_reach_a_sync_client(
    nats_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_sync_client() -> None:
        raise AssertionError("an async client's record asked the sync runtime for a client")

    monkeypatch.setattr(_runtime.runtime, "client", no_sync_client)
    settings = Settings(home=tmp_path / "home", nats_url=nats_url, api_url=CLOSED_API)
    (tmp_path / "reads.fastq").write_text("@r\nACGT\n+\nIIII\n")
    async with aio.AsyncClient(settings) as lineage:
        run = await lineage.run(pipeline=lns.Pipeline(name="align", v="2"))
        reads = await lineage.dobject(tmp_path / "reads.fastq")
        await lineage.load(reads, run)
        with pytest.raises(
            aio.BlockingCallInAsyncCode, match=r"await lineage.related\(run, 'inputs'\)"
        ):
            _ = run.inputs
        with pytest.raises(
            aio.BlockingCallInAsyncCode, match=r"lineage.related\(dobject, 'targets'\)"
        ):
            _ = reads.targets
        with pytest.raises(
            aio.BlockingCallInAsyncCode, match=r"await lineage.finish\(run, 'completed'\)"
        ):
            run.finish()
        with pytest.raises(
            aio.BlockingCallInAsyncCode, match=r"await lineage.load\(dobject, run\)"
        ):
            reads.load(is_run_input=True, run=run)
        with pytest.raises(aio.BlockingCallInAsyncCode, match=r"lns.Pipeline, name='align'"):
            _ = run.pipeline.runs
        # the content look-up of ln.DObject(path, source=run) asks this client's ledger
        (tmp_path / "out.bam").write_bytes(b"BAM\1")
        bam = await lineage.add(await lineage.dobject(tmp_path / "out.bam", source=run))
        assert ln.DObject(tmp_path / "out.bam", source=run) is bam
