"""The SDK installs and works without the server's packages (`pip install lineage`):
imports, records, event planning and query building, with every server package blocked;
and the `lineage` command says in one line what a server command needs."""

from __future__ import annotations

from pathlib import Path

from tests.support.sdk_only import run_sdk_only

USE_THE_SDK = """
import sys
import producer_sdk as ln
from producer_sdk import aio, client, core, operations, query, schema as lns
from lineage_core import events
from lineage_core.settings import Settings

ledger = operations.Ledger()
pipeline = lns.Pipeline(name="Cell Ranger", v="7")
run = lns.Run(pipeline=pipeline, name="sample 1")
path = ln.dev.datasets.file_bam(sys.argv[1])
bam = ln.DObject.from_facts(__import__("producer_sdk.files").files.file_facts(path), run)
planned = operations.plan_add(bam, None, ledger)
for message in planned:
    assert events.decode(message.data) == message.event
select = query.build_select([("run", {}), ("dobject", {"name": "output", "suffix": ".bam"})], 10)
assert select.variables["filter"] == {"output": {"name": "output", "suffix": ".bam"}}
settings = Settings(home=sys.argv[1], nats_url="nats://127.0.0.1:9", api_url="http://127.0.0.1:9")
client.Client(settings)
aio.AsyncClient(settings)
print(" ".join(m.event.event_type for m in planned))
"""


def test_the_sdk_works_with_every_server_package_blocked(tmp_path: Path) -> None:
    done = run_sdk_only(USE_THE_SDK, str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["TransformRegistered", "RunStarted", "OutputRegistered"]


def test_the_blocker_does_block() -> None:
    done = run_sdk_only("import sqlalchemy")
    assert done.returncode == 1
    assert "No module named 'sqlalchemy' (blocked" in done.stderr


LINEAGE = "import sys; from lineage_cli.main import app; sys.argv[0] = 'lineage'; app()"


def test_a_server_command_without_the_server_says_what_to_install(tmp_path: Path) -> None:
    done = run_sdk_only(LINEAGE, "up", cwd=str(tmp_path))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("lineage up needs the server: pip install 'lineage[server]'")
    assert "sqlalchemy" in lines[0]


def test_sdk_side_commands_work_without_the_server(tmp_path: Path) -> None:
    home = tmp_path / "home"
    code = f"import os; os.environ['LINEAGE_HOME'] = {str(home)!r}; " + LINEAGE
    done = run_sdk_only(code, "outbox", "status")
    assert done.returncode == 0, done.stderr
    assert f"outbox {home / 'outbox'}: 0 events waiting in 0 files" in done.stdout
