"""The HTTP edge's answers that no route gives: compressed bodies (gzip from the real
openlineage-python client, deflate), the 1 MiB limit on what they inflate to, 415 for
any other encoding, and JSON with a code for paths and methods no route takes."""

from __future__ import annotations

import asyncio
import gzip
import json
import tracemalloc
import uuid
import zlib
from typing import Any

import httpx
import nats
import pytest

from lineage_core.subjects import STREAM
from tests.support.api import Seed, api_client
from tests.support.served import served_app

pytestmark = pytest.mark.integration

LIMIT = 1024 * 1024
JSON = {"content-type": "application/json"}


def _event(state: str = "START") -> dict[str, Any]:
    return {
        "eventType": state,
        "eventTime": "2026-11-25T02:00:00Z",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "tests", "name": "edge"},
        "producer": "https://example.org/tests",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "inputs": [{"namespace": "s3://raw", "name": "in.parquet"}],
        "outputs": [],
    }


def _zeros_gzip(size: int) -> bytes:
    """A gzip member inflating to `size` zero bytes, built without holding them."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(LIMIT)
    parts = [z.compress(block) for _ in range(size // LIMIT)]
    return b"".join([*parts, z.flush()])


async def _published(nats_url: str) -> int:
    nc = await nats.connect(nats_url)
    try:
        return int((await nc.jetstream().stream_info(STREAM)).state.messages)
    finally:
        await nc.close()


async def test_the_real_openlineage_client_sends_gzip(database_url: str, nats_url: str) -> None:
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import InputDataset, Job, Run, RunEvent, RunState
    from openlineage.client.transport.http import HttpCompression, HttpConfig, HttpTransport

    async with served_app(database_url, nats_url) as (url, _):
        config = HttpConfig(url=url, compression=HttpCompression.GZIP)
        client = OpenLineageClient(transport=HttpTransport(config))
        event = RunEvent(
            eventType=RunState.START,
            eventTime="2026-11-25T02:00:00Z",
            run=Run(runId=str(uuid.uuid4())),
            job=Job(namespace="spark", name="gzipped"),
            producer="https://example.org/client",
            inputs=[InputDataset(namespace="s3://raw", name="events.parquet")],
        )
        await asyncio.to_thread(client.emit, event)
        async with httpx.AsyncClient() as http:  # the server runs in this event loop
            metrics = (await http.get(f"{url}/metrics", timeout=10)).text
    assert 'lineage_openlineage_events_total{outcome="accepted"} 1.0' in metrics
    assert await _published(nats_url) == 2  # RunStarted and InputLoaded


async def test_deflate_in_both_forms_and_gzip_on_graphql(database_url: str, nats_url: str) -> None:
    await Seed().write(database_url)
    document = json.dumps(_event()).encode()
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    async with api_client(database_url, nats_url) as (client, _):
        answers = [
            await client.post(
                "/api/v1/lineage",
                content=body,
                headers=JSON | {"content-encoding": coding},
            )
            for coding, body in (
                ("deflate", zlib.compress(document)),  # the zlib format, as HTTP means it
                ("deflate", raw.compress(document) + raw.flush()),  # raw, as some send it
                ("x-gzip", gzip.compress(document)),
                ("gzip, identity", gzip.compress(document)),
            )
        ]
        query = json.dumps({"query": "{ runs { totalCount } }"}).encode()
        graphql = await client.post(
            "/graphql", content=gzip.compress(query), headers=JSON | {"content-encoding": "gzip"}
        )
    assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
    assert graphql.status_code == 200, graphql.text
    assert graphql.json() == {"data": {"runs": {"totalCount": 0}}}


async def test_a_gzip_bomb_is_refused_as_it_inflates(database_url: str, nats_url: str) -> None:
    bomb = _zeros_gzip(256 * LIMIT)  # 256 MiB of zeros in about 250 KiB
    assert len(bomb) < LIMIT
    just_over = gzip.compress(b" " * (LIMIT + 1))
    async with api_client(database_url, nats_url) as (client, _):
        tracemalloc.start()
        try:
            refused = await client.post(
                "/api/v1/lineage", content=bomb, headers=JSON | {"content-encoding": "gzip"}
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        over = await client.post(
            "/graphql", content=just_over, headers=JSON | {"content-encoding": "gzip"}
        )
        published = await _published(nats_url)
    assert refused.status_code == 413
    assert refused.json()["error"]["message"] == f"request body over {LIMIT} bytes"
    assert peak < 16 * LIMIT, f"{peak} bytes at the peak: the bomb was inflated whole"
    assert over.status_code == 413
    assert published == 0


async def test_unknown_and_broken_encodings(database_url: str, nats_url: str) -> None:
    document = json.dumps(_event()).encode()
    async with api_client(database_url, nats_url) as (client, _):
        brotli = await client.post(
            "/api/v1/lineage", content=document, headers=JSON | {"content-encoding": "br"}
        )
        twice = await client.post(
            "/api/v1/lineage",
            content=gzip.compress(gzip.compress(document)),
            headers=JSON | {"content-encoding": "gzip, gzip"},
        )
        broken = await client.post(
            "/api/v1/lineage",
            content=gzip.compress(document)[:-12],
            headers=JSON | {"content-encoding": "gzip"},
        )
        garbage = await client.post(
            "/api/v1/lineage", content=b"not gzip", headers=JSON | {"content-encoding": "gzip"}
        )
    assert brotli.status_code == 415
    assert brotli.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert "gzip" in brotli.json()["error"]["message"]
    assert "deflate" in brotli.json()["error"]["message"]
    assert twice.status_code == 415
    assert broken.status_code == 400
    assert "ends inside its gzip stream" in broken.json()["error"]["message"]
    assert garbage.status_code == 400
    assert "not valid gzip" in garbage.json()["error"]["message"]


async def test_unknown_routes_and_methods_answer_json(database_url: str, nats_url: str) -> None:
    async with api_client(database_url, nats_url) as (client, _):
        marquez = await client.get("/api/v1/no-such-route")
        elsewhere = await client.get("/no/such/page")
        static = await client.get("/ui/static/no-such-file.js")
        wrong_method = await client.put("/graphql", json={})
        # a method no route under /api/v1 takes: the router's own 405, in Marquez's shape
        marquez_method = await client.options("/api/v1/lineage")
    assert marquez.status_code == 404
    assert marquez.headers["content-type"] == "application/json"
    assert marquez.json()["code"] == 404
    assert marquez.json()["message"].startswith("HTTP 404 Not Found")
    for answer in (elsewhere, static):
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/json"
        assert answer.json()["error"]["code"] == "NOT_FOUND"
    assert elsewhere.json()["error"]["message"] == "Not Found: GET /no/such/page"
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "GET, HEAD, POST"
    body = wrong_method.json()
    assert body["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert body["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"  # on /graphql
    assert marquez_method.status_code == 405
    assert marquez_method.headers["content-type"] == "application/json"
    assert marquez_method.json() == {"code": 405, "message": "HTTP 405 Method Not Allowed"}
    allowed = marquez_method.headers["allow"].split(", ")
    assert {"GET", "POST"} <= set(allowed), allowed  # of every route of the path


async def test_unknown_routes_still_need_a_token(database_url: str, nats_url: str) -> None:
    async with api_client(database_url, nats_url, api_token="s3cret") as (client, _):
        anonymous = await client.get("/api/v1/no-such-route")
        known = await client.get(
            "/api/v1/no-such-route", headers={"authorization": "Bearer s3cret"}
        )
    assert anonymous.status_code == 401
    assert known.status_code == 404
    assert known.json()["code"] == 404
