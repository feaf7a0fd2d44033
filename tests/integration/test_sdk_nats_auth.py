"""Against a nats-server that requires a user and password, the SDK publishes with the
producer credentials that `lineage up` recorded under LINEAGE_HOME (no configuration);
without them its events wait in the outbox."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import producer_sdk as ln
from lineage_core.nats_auth import UserPassword, write_user_password
from lineage_core.settings import Settings
from producer_sdk import _runtime
from producer_sdk import schema as lns
from producer_sdk.client import Client
from tests.support.servers import NatsServer

pytestmark = pytest.mark.integration
CLOSED_API = "http://127.0.0.1:9"


@pytest.fixture
def guarded_nats() -> Iterator[NatsServer]:
    server = NatsServer(extra_args=("--user", "producer", "--pass", "only-for-producers"))
    server.start()
    try:
        yield server
    finally:
        server.close()


def sdk_home(home: Path, nats_url: str, password: str | None) -> None:
    """What a running `lineage up` records: its endpoints and the producer credentials."""
    endpoints: dict[str, object] = {"pid": os.getpid(), "nats_url": nats_url}
    if password is not None:
        creds = home / "nats" / "producer.creds"
        write_user_password(creds, UserPassword("producer", password))
        endpoints["nats_creds"] = str(creds)
    home.mkdir(parents=True, exist_ok=True)
    (home / "endpoints.json").write_text(json.dumps(endpoints))


def publish_one(home: Path) -> tuple[int, int]:
    """(highest acked sequence, events kept in the outbox) after one `ln.add`."""
    client = Client(Settings(home=home, api_url=CLOSED_API))
    previous = _runtime.use_client(client)
    try:
        ln.add(lns.Pipeline(name="guarded", v="1"))
        return client.min_sequence, client.publisher.outboxed
    finally:
        _runtime.use_client(previous)
        client.close()


@pytest.mark.parametrize("password", ["only-for-producers", None, "wrong"])
def test_the_recorded_producer_credentials_are_used(
    guarded_nats: NatsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, password: str | None
) -> None:
    for key in ("LINEAGE_NATS_URL", "LINEAGE_NATS_CREDS", "LINEAGE_HOME"):
        monkeypatch.delenv(key, raising=False)
    home = tmp_path / "home"
    sdk_home(home, guarded_nats.url, password)
    acked, outboxed = publish_one(home)
    if password == "only-for-producers":
        assert (acked, outboxed) == (1, 0)
    else:
        assert (acked, outboxed) == (0, 1)  # kept until the credentials are right
