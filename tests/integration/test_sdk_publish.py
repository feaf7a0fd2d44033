"""The sync SDK against a real nats-server: acked publishing, run lifecycle, the outbox.

No GraphQL API here (its URL points at a closed port): publishing must not need it.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import producer_sdk as ln
from lineage_core import events
from lineage_core.settings import Settings
from producer_sdk import _runtime
from producer_sdk import schema as lns
from producer_sdk.client import Client
from producer_sdk.outbox import Outbox, OutboxEntry
from tests.support.sdk import CLOSED_API, stream_events
from tests.support.servers import NatsServer

pytestmark = pytest.mark.integration


@pytest.fixture
def sdk(nats_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    """A fresh process-wide SDK client on this test's NATS, with a fresh context."""
    monkeypatch.chdir(tmp_path)
    client = Client(Settings(home=tmp_path / "home", nats_url=nats_url, api_url=CLOSED_API))
    previous = _runtime.use_client(client)
    context = _runtime.context
    context._global_run, context._stack = None, []
    try:
        yield client
    finally:
        for run in list(client.ledger.active_runs.values()):
            client.finish_run(run)  # what the exit hook does for the process's client
        client.close()
        _runtime.use_client(previous)
        context._global_run, context._stack = None, []


def data_file(directory: Path, name: str, content: str) -> Path:
    path = directory / name
    path.write_text(content)
    return path


def test_events_are_acked_in_order_with_their_msg_id(
    sdk: Client, nats_url: str, tmp_path: Path
) -> None:
    pipeline = ln.add(lns.Pipeline(v="1", name="10x scRNA-seq nextseq"))
    first = ln.Run(pipeline=pipeline, global_context=True)
    assert ln.context.run is first
    fastq = ln.DObject(ln.dev.datasets.file_fastq())
    assert ln.add(fastq) is fastq
    assert fastq.source is first
    ln.add(fastq)  # registered: nothing new
    second = ln.Run(pipeline=pipeline, global_context=True, name="second")
    fastq.load(is_run_input=True)

    got = stream_events(nats_url)
    assert [e.event_type for _, _, e in got] == [
        "TransformRegistered",
        "RunStarted",
        "OutputRegistered",
        "RunFinished",
        "RunStarted",
        "InputLoaded",
    ]
    for _, headers, event in got:
        assert headers["Nats-Msg-Id"] == str(event.event_id)
        assert event.producer.startswith(f"producer_sdk/{ln.__version__} ")
    assert got[3][2].run_id == first.id
    assert got[3][2].status == "completed"
    assert got[4][2].run_id == second.id
    assert got[4][2].run_name == "second"
    assert got[5][2].dobject.name == "input"
    assert got[5][2].dobject.suffix == ".fastq.gz"
    assert sdk.min_sequence == got[-1][0]  # read-your-writes watermark = last ack


def test_a_with_block_is_finished_failed_by_its_exception(sdk: Client, nats_url: str) -> None:
    pipeline = lns.Pipeline(name="align", v="2")
    with pytest.raises(ValueError, match="boom"), ln.Run(pipeline=pipeline) as run:  # noqa: PT012 - the block is the subject
        assert ln.context.run is run
        raise ValueError("boom")
    assert ln.context.run is None
    assert run.status == "FAILED"
    with ln.Run(pipeline=pipeline) as ok:
        pass
    finished = [e for _, _, e in stream_events(nats_url) if e.event_type == "RunFinished"]
    assert [(e.run_id, e.status, e.error) for e in finished] == [
        (run.id, "failed", "ValueError: boom"),
        (ok.id, "completed", None),
    ]


def test_lazy_run_starts_at_first_add_of_a_record_it_is_the_source_of(
    sdk: Client, nats_url: str, tmp_path: Path
) -> None:
    pipeline = lns.Pipeline(name="p")
    run = lns.Run(pipeline=pipeline, name="lazy")
    assert stream_events(nats_url) == []
    ln.add(ln.DObject(data_file(tmp_path, "a.csv", "a"), source=run))
    assert [e.event_type for _, _, e in stream_events(nats_url)] == [
        "TransformRegistered",
        "RunStarted",
        "OutputRegistered",
    ]
    assert run.id in sdk.ledger.active_runs  # finished at exit like a global run


def test_same_content_returns_this_process_dobject(
    sdk: Client, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ln.Run(pipeline=lns.Pipeline(name="p"), global_context=True)
    first = ln.add(ln.DObject(data_file(tmp_path, "one.txt", "same")))
    with caplog.at_level(logging.WARNING, logger="producer_sdk"):
        again = ln.DObject(data_file(tmp_path, "two.txt", "same"))
    assert again is first
    assert f"returning existing DObject one.txt (id {first.id})" in caplog.text


def test_a_missing_path_is_a_clear_error(sdk: Client) -> None:
    with pytest.raises(FileNotFoundError, match=r"no file at 'missing\.bam'"):
        ln.DObject("missing.bam")


def test_100_runs_arrive_once_across_a_nats_outage(
    sdk: Client, nats_server: NatsServer, nats_url: str, tmp_path: Path
) -> None:
    pipeline = ln.add(lns.Pipeline(name="outage", v="1"))
    runs = []
    try:
        for i in range(100):
            if i == 30:
                nats_server.stop()
            if i == 70:
                nats_server.start()
            run = lns.Run(pipeline=pipeline, name=f"run {i}")
            ln.add(ln.DObject(data_file(tmp_path, f"out_{i}.txt", f"output {i}"), source=run))
            run.finish()
            runs.append(run)
            if i == 69:
                assert sdk.publisher is not None
                assert sdk.publisher.outbox.has_pending()
    finally:
        nats_server.start()
    assert ln.flush() == 0
    got = stream_events(nats_url)
    event_ids = [e.event_id for _, _, e in got]
    assert len(event_ids) == len(set(event_ids)) == 1 + 3 * 100
    started = [e.run_id for _, _, e in got if e.event_type == "RunStarted"]
    assert started == [r.id for r in runs]  # all, once, in order
    for run in runs:
        per_run = [e.event_type for _, _, e in got if getattr(e, "run_id", None) == run.id]
        assert per_run == ["RunStarted", "OutputRegistered", "RunFinished"]
    assert sdk.publisher is not None
    assert sdk.publisher.outboxed > 0
    assert not sdk.publisher.outbox.path.exists()


def test_a_dead_process_outbox_is_sent_by_the_next_producer(
    sdk: Client, nats_url: str, tmp_path: Path
) -> None:
    orphan = Outbox(sdk.outbox_dir, name=f"{os.uname().nodename}-999999999-1.jsonl")
    pipeline = lns.Pipeline(name="orphaned")
    lost = (
        __import__("producer_sdk.operations")
        .operations.plan_transform(
            pipeline, __import__("producer_sdk.operations").operations.Ledger()
        )[0]
        .data
    )
    event_id = json.loads(lost)["event_id"]
    orphan.append(OutboxEntry("lineage.transform.registered", event_id, lost))
    ln.add(lns.Pipeline(name="next"))
    ids = {str(e.event_id) for _, _, e in stream_events(nats_url)}
    assert event_id in ids
    assert not orphan.path.exists()


PRODUCER = """
import producer_sdk as ln
from producer_sdk import schema as lns
p = ln.add(lns.Pipeline(name="offline", v="1"))
ln.Run(pipeline=p, global_context=True)
ln.add(ln.DObject(ln.dev.datasets.file_bam()))
"""


def test_operators_see_and_flush_what_an_exited_producer_left(
    nats_server: NatsServer, nats_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "LINEAGE_NATS_URL": nats_url,
        "LINEAGE_API_URL": CLOSED_API,
        "LINEAGE_HOME": str(tmp_path / "home"),
    }
    cli = [sys.executable, "-m", "lineage_cli.main", "outbox"]
    nats_server.stop()
    try:
        done = subprocess.run(
            [sys.executable, "-c", PRODUCER],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert "4 events wait in the outbox" in done.stderr
        status = subprocess.run(
            [*cli, "status"], env=env, capture_output=True, text=True, check=False, timeout=60
        )
        assert "4 events waiting in 1 files" in status.stdout
        assert "(exited)" in status.stdout
        failed = subprocess.run(
            [*cli, "flush"], env=env, capture_output=True, text=True, check=False, timeout=60
        )
        assert failed.returncode == 1
        assert "4 still waiting" in failed.stdout
    finally:
        nats_server.start()
    flushed = subprocess.run(
        [*cli, "flush"], env=env, capture_output=True, text=True, check=False, timeout=60
    )
    assert flushed.returncode == 0, flushed.stderr
    assert "sent 4 events; 0 still waiting" in flushed.stdout
    assert [e.event_type for _, _, e in stream_events(nats_url)] == [
        "TransformRegistered",
        "RunStarted",
        "OutputRegistered",
        "RunFinished",
    ]


def test_no_service_reachable_names_the_url_and_how_to_start_one(sdk: Client) -> None:
    with pytest.raises(ln.ServiceUnreachable, match="lineage up") as info:
        ln.select(ln.DObject, name="input").one()
    assert f"{CLOSED_API}/graphql" in str(info.value)
    with pytest.raises(ln.ServiceUnreachable):
        ln.Run(pipeline_name="never registered here")


SCRIPT = """
import sys, time
import producer_sdk as ln
run = ln.Run()
ln.add(ln.DObject(ln.dev.datasets.file_bam()))
if sys.argv[1:] == ["fail"]:
    raise RuntimeError("alignment diverged")
if sys.argv[1:] == ["killed"]:
    print("working", flush=True)
    time.sleep(60)
"""


def run_script(script: Path, outcome: str, env: dict[str, str]) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    """The script to its end; `killed` gets SIGTERM once it is at work."""
    with subprocess.Popen(
        [sys.executable, str(script), outcome],
        cwd=script.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        if outcome == "killed":
            assert proc.stdout is not None
            assert proc.stdout.readline() == "working\n"
            proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("outcome", ["ok", "fail", "killed"])
def test_a_script_is_tracked_as_a_pipeline_and_finished_at_exit(
    nats_url: str, tmp_path: Path, outcome: str
) -> None:
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    env = {
        **os.environ,
        "LINEAGE_NATS_URL": nats_url,
        "LINEAGE_API_URL": CLOSED_API,
        "LINEAGE_HOME": str(tmp_path / "home"),
    }
    done = run_script(script, outcome, env)
    assert "tracking the script train.py as pipeline 'train.py' v1" in done.stderr
    got = [e for _, _, e in stream_events(nats_url)]
    assert [e.event_type for e in got] == [
        "TransformRegistered",
        "RunStarted",
        "OutputRegistered",
        "RunFinished",
    ]
    assert got[0].transform.name == "train.py"
    assert got[0].transform.reference == str(script.resolve())
    if outcome == "ok":
        assert done.returncode == 0, done.stderr
        assert (got[3].status, got[3].error) == ("completed", None)
    elif outcome == "killed":
        assert done.returncode == 143, done.stderr
        assert (got[3].status, got[3].error) == (
            "failed",
            "Terminated: the process got SIGTERM",
        )
    else:
        assert done.returncode == 1
        assert "alignment diverged" in done.stderr
        assert (got[3].status, got[3].error) == (
            "failed",
            "RuntimeError: alignment diverged",
        )


def test_parent_and_fields_arrive_in_the_current_version(
    sdk: Client, nats_url: str, tmp_path: Path
) -> None:
    nightly = ln.Run(pipeline=lns.Pipeline(name="nightly"), global_context=True)
    align = ln.Run(pipeline=lns.Pipeline(name="align", v="2"), parent=nightly)
    table = ln.DObject(
        data_file(tmp_path, "counts.csv", "gene,count\n"),
        source=align,
        fields=[{"name": "gene", "type": "string"}, ("count", "int64")],
    )
    ln.add(table)
    got = [e for _, _, e in stream_events(nats_url)]
    started = [e for e in got if isinstance(e, events.RunStarted)]
    assert [(e.run_id, e.parent_run_id) for e in started] == [
        (nightly.id, None),
        (align.id, nightly.id),
    ]
    output = next(e for e in got if isinstance(e, events.OutputRegistered))
    assert [(f.name, f.type) for f in output.fields or ()] == [
        ("gene", "string"),
        ("count", "int64"),
    ]
    assert {e.schema_version for e in got} == {events.CURRENT_SCHEMA_VERSION}


def test_an_oversized_output_is_refused_before_nats_and_the_outbox(
    sdk: Client, nats_url: str, tmp_path: Path
) -> None:
    run = lns.Run(pipeline=lns.Pipeline(name="wide"))
    wide = ln.DObject(
        data_file(tmp_path, "wide.parquet", "PAR1"),
        source=run,
        fields=[(f"column_{i:05}", "string") for i in range(10_000)],
    )
    with pytest.raises(ln.EventTooLarge, match=r"10,000 fields .* 65,536"):
        ln.add(wide)
    assert stream_events(nats_url) == []
    assert not list(sdk.outbox_dir.glob("*.jsonl"))
    assert run.status is None  # not started either: the call did nothing
