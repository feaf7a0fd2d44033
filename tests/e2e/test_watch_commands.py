"""`lineage watch create|list|remove|deliveries` as an operator runs them: the secret
alone on the last line, once; exit 1 on a duplicate or unknown name, an unknown root or
a URL that is not http(s); counts in `list`, never secrets."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator

import pytest

from lineage_core.settings import Settings
from projector.service import run_projector
from tests.support.service import lineage_command
from tests.support.waiting import wait_until
from tests.support.watch_story import Story, uid
from tests.support.watch_webhooks import tell
from tests.support.webhook import Receiver

pytestmark = pytest.mark.e2e


@pytest.fixture
async def projector(nats_url: str, database_url: str) -> AsyncIterator[None]:
    settings = Settings(nats_url=nats_url, database_url=database_url)
    task = asyncio.create_task(run_projector(settings))
    yield
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def lineage(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LINEAGE_DATABASE_URL": database_url}
    return await asyncio.to_thread(
        subprocess.run,
        [*lineage_command(), "watch", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_watch_commands(projector: None, nats_url: str, database_url: str) -> None:
    s = Story()
    await tell(nats_url, database_url, s.start("r0") + s.write("r0", "a"))
    receiver = Receiver()
    await receiver.start()
    a, r0 = str(uid("dobject/a")), str(uid("run/r0"))
    made = await lineage(
        database_url, "create", "mine", "--dobject", a, "--url", receiver.url,
        "--kind", "RUN_FAILED", "--kind", "RUN_COMPLETED", "--depth", "3",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip().splitlines()[-1]
    assert len(secret) >= 32
    assert " " not in secret

    refusals = [
        ("create", "mine", "--dobject", a, "--url", receiver.url),  # duplicate name
        ("create", "other", "--dobject", str(uid("dobject/nowhere")), "--url", receiver.url),
        ("create", "other", "--run", str(uid("run/nowhere")), "--url", receiver.url),
        ("create", "other", "--dobject", a, "--url", "ftp://example.com/x"),
        ("create", "other", "--dobject", a, "--url", "not a url"),
        ("create", "other", "--dobject", a, "--run", r0, "--url", receiver.url),
        ("create", "other", "--dobject", a, "--url", receiver.url, "--kind", "NOPE"),
        ("remove", "nobody"),
        ("deliveries", "nobody"),
    ]
    for args in refusals:
        answer = await lineage(database_url, *args)
        assert answer.returncode == 1, (args, answer.stdout, answer.stderr)
        assert answer.stderr.strip(), args
    on_run = await lineage(database_url, "create", "on-run", "--run", r0, "--url", receiver.url)
    assert on_run.returncode == 0, on_run.stderr

    await tell(nats_url, database_url, s.finish("r0", "failed"))
    await wait_until(lambda: len(receiver.delivered()) == 2, what="both watches delivered")
    listed = await lineage(database_url, "list")
    assert listed.returncode == 0, listed.stderr
    assert secret not in listed.stdout
    rows = {line.split()[0]: line.split() for line in listed.stdout.splitlines()[1:]}
    assert set(rows) == {"mine", "on-run"}
    assert rows["mine"][1] == f"dobject:{a}"
    assert rows["mine"][4:7] == ["1", "0", "0"]  # delivered, pending, failed
    assert rows["mine"][7] == receiver.url
    assert rows["mine"][8:] == ["-"]  # no failure
    shown = await lineage(database_url, "deliveries", "mine")
    lines = shown.stdout.splitlines()[1:]
    assert len(lines) == 1
    assert lines[0].split()[2:6] == ["RUN_FAILED", "1", "delivered", "1"]
    assert (
        lines[0].split()[0] == receiver.delivered()[0].json["delivery_id"]
        or lines[0].split()[0] == receiver.delivered()[1].json["delivery_id"]
    )
    failed_only = await lineage(database_url, "deliveries", "mine", "--failed")
    assert failed_only.stdout.splitlines()[1:] == []
    removed = await lineage(database_url, "remove", "mine")
    assert removed.returncode == 0, removed.stderr
    again = await lineage(database_url, "list")
    assert [line.split()[0] for line in again.stdout.splitlines()[1:]] == ["on-run"]
    await receiver.stop()
