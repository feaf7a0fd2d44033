"""The embedded nats-server with credentials (docs/reference/tokens.md): a producer may publish
events and get their acknowledgements, and nothing else; the service may do everything."""

from __future__ import annotations

import asyncio
import contextlib
import json
import stat
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import Error as NatsError

from lineage_cli.embedded import EmbeddedNats, NatsUsers
from lineage_core.nats_auth import connect_options, service_connect_options
from lineage_core.streams import ensure_streams
from lineage_core.subjects import DLQ_STREAM, STREAM
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

CLOSED = b"<connection closed>"


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[tuple[EmbeddedNats, NatsUsers]]:
    users = NatsUsers.under(tmp_path)
    server = EmbeddedNats.start(tmp_path, users=users)
    yield server, users
    server.stop()


class Violations:
    """The errors nats-server sends a client (permission violations among them)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def record(self, error: Exception) -> None:
        self.seen.append(str(error))

    def about(self, what: str) -> bool:
        return any(
            "permissions violation" in s.lower() and what.lower() in s.lower() for s in self.seen
        )


@pytest.fixture
async def service(guarded: tuple[EmbeddedNats, NatsUsers]) -> AsyncIterator[Client]:
    server, users = guarded
    nc = await nats.connect(server.url, **service_connect_options(users.service_file))
    await ensure_streams(nc.jetstream())
    yield nc
    await nc.close()


async def _producer(server: EmbeddedNats, users: NatsUsers, errors: Violations) -> Client:
    return await nats.connect(
        server.url,
        error_cb=errors.record,
        allow_reconnect=False,
        **connect_options(users.producer_file),
    )


async def _stream_messages(service: Client, name: str) -> int:
    return int((await service.jetstream().stream_info(name)).state.messages)


async def test_credentials_files_are_private_and_kept_across_restarts(tmp_path: Path) -> None:
    first = NatsUsers.under(tmp_path)
    again = NatsUsers.under(tmp_path)
    assert first == again  # a restart keeps every client's credentials valid
    for path in (first.producer_file, first.service_file, tmp_path / "nats-server.conf"):
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert first.producer.password != first.service.password


async def _handshake(url: str, connect: Mapping[str, object]) -> bytes:
    """What nats-server answers a CONNECT + PING (raw protocol: nats-py leaves the
    socket of a refused connection open)."""
    host, port = url.removeprefix("nats://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        await reader.readline()  # INFO
        writer.write(b"CONNECT " + json.dumps({"verbose": False, **connect}).encode() + b"\r\n")
        writer.write(b"PING\r\n")
        await writer.drain()
        return await asyncio.wait_for(reader.readline(), 5) or CLOSED
    except ConnectionResetError:
        return CLOSED  # refused: the server may close before its -ERR line is read
    finally:
        writer.close()
        with contextlib.suppress(ConnectionResetError):
            await writer.wait_closed()


async def test_without_credentials_nobody_connects(
    guarded: tuple[EmbeddedNats, NatsUsers],
) -> None:
    server, users = guarded
    server_conf = users.service_file.parent.parent / "nats-server.conf"
    assert stat.S_IMODE(server_conf.stat().st_mode) == 0o600
    producer = {"user": users.producer.user, "pass": users.producer.password}
    assert await _handshake(server.url, producer) == b"PONG\r\n"
    for refused in ({}, {**producer, "pass": users.producer.password + "x"}):
        answer = await _handshake(server.url, refused)
        assert answer == CLOSED or b"Authorization Violation" in answer, answer


async def test_a_producer_publishes_and_gets_acks(
    guarded: tuple[EmbeddedNats, NatsUsers], service: Client
) -> None:
    server, users = guarded
    errors = Violations()
    producer = await _producer(server, users, errors)
    try:
        js = producer.jetstream(timeout=5)
        await ensure_streams(js)  # the SDK checks the streams exist on connect
        ack = await js.publish("lineage.run.started", b"{}", headers={"Nats-Msg-Id": "a"})
        assert ack.stream == STREAM
        assert ack.seq == 1
        assert await _stream_messages(service, STREAM) == 1
        assert errors.seen == []
    finally:
        await producer.close()


async def test_a_producer_cannot_read_the_stream(
    guarded: tuple[EmbeddedNats, NatsUsers], service: Client
) -> None:
    server, users = guarded
    await service.jetstream().publish("lineage.run.started", b'{"secret": 1}')
    errors = Violations()
    producer = await _producer(server, users, errors)
    try:
        got: list[bytes] = []

        async def keep(msg: Msg) -> None:
            got.append(msg.data)

        await producer.subscribe("lineage.>", cb=keep)
        await wait_until(lambda: errors.about('Subscription to "lineage.>"'))
        js = producer.jetstream(timeout=0.5)
        with pytest.raises(NatsError):
            await js.get_msg(STREAM, 1)
        with pytest.raises(NatsError):
            await js.get_last_msg(STREAM, "lineage.run.started")
        with pytest.raises(NatsError):
            await js.pull_subscribe("lineage.>", durable="thief", stream=STREAM)
        with pytest.raises(NatsError):
            await js.subscribe("lineage.>", stream=STREAM, ordered_consumer=True)
        # a message published now reaches the service's stream, never the producer
        await service.jetstream().publish("lineage.run.started", b'{"secret": 2}')
        await service.flush()
        await producer.flush()
        assert got == []
        assert await service.jetstream().consumers_info(STREAM) == []
        assert errors.about("$JS.API.STREAM.MSG.GET.LINEAGE")
    finally:
        await producer.close()


async def test_a_producer_cannot_delete_purge_or_publish_elsewhere(
    guarded: tuple[EmbeddedNats, NatsUsers], service: Client
) -> None:
    server, users = guarded
    await service.jetstream().publish("lineage.run.started", b"{}")
    errors = Violations()
    producer = await _producer(server, users, errors)
    try:
        js = producer.jetstream(timeout=0.5)
        with pytest.raises(NatsError):
            await js.purge_stream(STREAM)
        with pytest.raises(NatsError):
            await js.delete_stream(STREAM)
        with pytest.raises(NatsError):
            await js.delete_msg(STREAM, 1)
        with pytest.raises(NatsError):
            await js.publish("lineage_dlq.run.started", b"{}")  # outside lineage.>
        await producer.publish("anything.else", b"{}")
        await wait_until(lambda: errors.about('Publish to "anything.else"'))
        assert await _stream_messages(service, STREAM) == 1
        assert await _stream_messages(service, DLQ_STREAM) == 0
        assert errors.about("$JS.API.STREAM.PURGE.LINEAGE")
        assert errors.about("$JS.API.STREAM.DELETE.LINEAGE")
    finally:
        await producer.close()


async def test_the_service_may_do_everything(
    guarded: tuple[EmbeddedNats, NatsUsers], service: Client
) -> None:
    js = service.jetstream(timeout=5)
    await js.publish("lineage.run.started", b"{}")
    assert (await js.get_msg(STREAM, 1)).data == b"{}"
    await js.purge_stream(STREAM)
    assert await _stream_messages(service, STREAM) == 0
