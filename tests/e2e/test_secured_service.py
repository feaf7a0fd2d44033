"""`lineage up` with tokens, as a user runs it (docs/reference/tokens.md): its embedded
nats-server asks for credentials, the producer's are recorded where the SDK finds them,
events published with them reach the projection; and no token ever shows up in the
service's logs, its metrics, its error answers or `lineage status`."""

from __future__ import annotations

import asyncio
import json
import stat
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import nats
import pytest
import websockets
from websockets.typing import Subprotocol

from lineage_core import events as ev
from lineage_core.ids import transform_id
from lineage_core.nats_auth import connect_options
from lineage_core.settings import ENDPOINTS_FILE
from lineage_core.subjects import MSG_ID_HEADER, subject_for
from tests.support.service import Service, lineage_command, start_service
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e

ENV_TOKEN = "env-token-" + uuid.uuid4().hex


def _lineage(service: Service, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*lineage_command(), *args],
        env=service.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _query(service: Service, token: str, query: str) -> httpx.Response:
    return httpx.post(
        f"{service.api_url}/graphql",
        json={"query": query},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


async def _publish_as_producer(nats_url: str, creds: Path) -> uuid.UUID:
    run_id = uuid.uuid4()
    event = ev.RunStarted(
        event_type="RunStarted",
        event_id=uuid.uuid4(),
        occurred_at=datetime.now(UTC),
        producer="test",
        run_id=run_id,
        transform={  # type: ignore[arg-type]
            "id": str(transform_id("pipeline", "secured", "1")),
            "type": "pipeline",
            "name": "secured",
            "version": "1",
        },
    )
    nc = await nats.connect(nats_url, **connect_options(creds))
    try:
        await nc.jetstream(timeout=5).publish(
            subject_for(event.event_type),
            ev.encode(event),
            headers={MSG_ID_HEADER: str(event.event_id)},
        )
    finally:
        await nc.close()
    return run_id


async def _refused_socket(url: str, token: str) -> int | None:
    async with websockets.connect(
        url.replace("http://", "ws://") + "/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
    ) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        try:
            await asyncio.wait_for(ws.recv(), 5)
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else None
    return None


def test_tokens_secure_nats_and_never_leak(database_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    service = start_service(None, database_url, home, extra_env={"LINEAGE_API_TOKEN": ENV_TOKEN})
    try:
        created = _lineage(service, "token", "create", "reader", "--scope", "read")
        assert created.returncode == 0, created.stderr
        reader = created.stdout.strip().splitlines()[-1]
        writer = _lineage(service, "token", "create", "writer", "--scope", "write")
        writer_token = writer.stdout.strip().splitlines()[-1]
        doomed = _lineage(service, "token", "create", "doomed", "--scope", "read")
        doomed_token = doomed.stdout.strip().splitlines()[-1]
        wrong = "lin_" + uuid.uuid4().hex

        # NATS: the producer's credentials are recorded, private, and enough to publish
        recorded = json.loads((home / ENDPOINTS_FILE).read_text())
        creds = Path(recorded["nats_creds"])
        assert creds == home / "nats" / "producer.creds"
        assert stat.S_IMODE(creds.stat().st_mode) == 0o600
        run_id = asyncio.run(_publish_as_producer(recorded["nats_url"], creds))
        question = f'{{ run(id: "{run_id}") {{ id transform {{ name }} }} }}'
        found = wait_for(
            lambda: _query(service, reader, question).json()["data"]["run"],
            what="the producer's event projected",
        )
        assert found["transform"]["name"] == "secured"

        # good and bad tokens on every door
        assert _query(service, wrong, question).status_code == 401
        assert _query(service, writer_token, question).status_code == 403
        assert _query(service, ENV_TOKEN, question).status_code == 200
        assert asyncio.run(_refused_socket(service.api_url, wrong)) == 4401
        assert asyncio.run(_refused_socket(service.api_url, writer_token)) == 4403
        assert _lineage(service, "token", "revoke", "doomed").returncode == 0
        wait_for(
            lambda: _query(service, doomed_token, question).status_code == 401,
            timeout=2,
            what="the revoked token refused",
        )
        errors = [
            _query(service, token, "{ nope }").text
            for token in (reader, wrong, writer_token, doomed_token, ENV_TOKEN)
        ]
        errors.append(
            httpx.post(
                f"{service.api_url}/api/v1/lineage",
                content=b"{not json",
                headers={"Authorization": f"Bearer {writer_token}"},
            ).text
        )
        metrics = httpx.get(
            f"{service.api_url}/metrics", headers={"Authorization": f"Bearer {reader}"}
        ).text
        assert "lineage_" in metrics
        status = _lineage(service, "status")
        assert status.returncode == 0, status.stderr
        listed = _lineage(service, "token", "list")
        assert "reader" in listed.stdout
    finally:
        service.stop()

    seen = {
        "service log": service.output(),
        "metrics": metrics,
        "errors": "\n".join(errors),
        "lineage status": status.stdout + status.stderr,
        "lineage token list": listed.stdout + listed.stderr,
        "nats-server log": (home / "nats-server.log").read_text(errors="replace"),
    }
    for where, text in seen.items():
        for name, token in (
            ("env", ENV_TOKEN),
            ("reader", reader),
            ("writer", writer_token),
            ("revoked", doomed_token),
            ("wrong", wrong),
        ):
            assert token not in text, f"the {name} token appears in the {where}"
    assert "bearer" not in seen["service log"].lower()
