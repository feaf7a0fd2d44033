"""What the SDK's NATS connection authenticates with (docs/reference/tokens.md): the file of
LINEAGE_NATS_CREDS, the producer credentials `lineage up` recorded under LINEAGE_HOME, or
user:password in LINEAGE_NATS_URL. No server: the arguments handed to `nats.connect`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lineage_core.nats_auth import UserPassword, write_user_password
from lineage_core.settings import Settings
from producer_sdk.core import ClientCore
from producer_sdk.errors import LineageError

JWT_CREDS = """-----BEGIN NATS USER JWT-----
eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.c2ln
------END NATS USER JWT------

-----BEGIN USER NKEY SEED-----
SUAEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMP
------END USER NKEY SEED------
"""
AUTH_KEYS = ("user", "password", "user_credentials", "token")


@pytest.fixture(autouse=True)
def no_lineage_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("LINEAGE_"):
            monkeypatch.delenv(key)


def connect_arguments(settings: Settings) -> dict[str, object]:
    core = ClientCore(settings)
    return core.publisher.connect_arguments(core.nats_servers[0])


def test_without_credentials_nothing_is_added(tmp_path: Path) -> None:
    args = connect_arguments(Settings(home=tmp_path, nats_url="nats://127.0.0.1:4222"))
    assert args["servers"] == ["nats://127.0.0.1:4222"]
    assert not set(AUTH_KEYS) & set(args)


def test_user_and_password_in_the_url_reach_nats_py(tmp_path: Path) -> None:
    url = "nats://alice:s3cret@nats-1.example:4222"
    args = connect_arguments(Settings(home=tmp_path, nats_url=f"{url},nats://nats-2.example:4222"))
    assert args["servers"] == [url]  # nats-py takes user and password from the URL


def test_a_jwt_credentials_file_is_user_credentials(tmp_path: Path) -> None:
    creds = tmp_path / "producer.creds"
    creds.write_text(JWT_CREDS)
    args = connect_arguments(
        Settings(home=tmp_path, nats_url="nats://127.0.0.1:4222", nats_creds=creds)
    )
    assert args["user_credentials"] == str(creds)


def test_a_password_file_is_user_and_password(tmp_path: Path) -> None:
    creds = tmp_path / "producer.creds"
    write_user_password(creds, UserPassword("producer", "pa55"))
    args = connect_arguments(
        Settings(home=tmp_path, nats_url="nats://127.0.0.1:4222", nats_creds=creds)
    )
    assert (args["user"], args["password"]) == ("producer", "pa55")


def test_the_credentials_lineage_up_recorded_need_no_configuration(tmp_path: Path) -> None:
    creds = tmp_path / "nats" / "producer.creds"
    write_user_password(creds, UserPassword("producer", "recorded"))
    endpoints = {"pid": os.getpid(), "nats_url": "nats://127.0.0.1:4333", "nats_creds": str(creds)}
    (tmp_path / "endpoints.json").write_text(json.dumps(endpoints))
    args = connect_arguments(Settings(home=tmp_path))
    assert args["servers"] == ["nats://127.0.0.1:4333"]
    assert (args["user"], args["password"]) == ("producer", "recorded")


def test_an_unreadable_credentials_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.creds"
    with pytest.raises(LineageError, match=r"cannot use the NATS credentials file .*nowhere"):
        connect_arguments(
            Settings(home=tmp_path, nats_url="nats://127.0.0.1:4222", nats_creds=missing)
        )
