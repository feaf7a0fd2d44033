"""Against a service that requires LINEAGE_API_TOKEN, the SDK sends the bearer token;
without it the SDK says which variable to set."""

from __future__ import annotations

from pathlib import Path

import pytest

import producer_sdk as ln
from lineage_core.settings import Settings
from producer_sdk import _runtime
from producer_sdk import schema as lns
from producer_sdk.client import Client
from tests.support.service import start_service

pytestmark = pytest.mark.e2e


def test_the_token_is_sent_and_its_absence_explained(
    nats_url: str, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = start_service(
        nats_url, database_url, tmp_path / "home", extra_env={"LINEAGE_API_TOKEN": "s3cret"}
    )
    monkeypatch.chdir(tmp_path)
    base = {"home": tmp_path / "sdk", "nats_url": nats_url, "api_url": service.api_url}
    with_token, without = Client(Settings(**base, api_token="s3cret")), Client(Settings(**base))  # type: ignore[arg-type]
    previous = _runtime.use_client(with_token)
    try:
        pipeline = ln.add(lns.Pipeline(name="guarded", v="1"))
        run = ln.Run(pipeline_name="guarded")
        assert run.pipeline == pipeline
        ln.add(ln.DObject(ln.dev.datasets.file_bam(), source=run))
        assert ln.select(lns.Run).join(ln.DObject, name="output").one() == run

        _runtime.use_client(without)
        with pytest.raises(ln.QueryError, match="LINEAGE_API_TOKEN") as refused:
            ln.select(ln.DObject, name="output").one()
        assert refused.value.code == "UNAUTHENTICATED"
    finally:
        for client in (with_token, without):
            for active in list(client.ledger.active_runs.values()):
                client.finish_run(active)
            client.close()
        _runtime.use_client(previous)
        service.stop()
