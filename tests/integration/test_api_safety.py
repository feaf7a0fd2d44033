"""Limits, error codes, auth, read-your-writes, health, readiness and metrics."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text

from graphql_api.freshness import ProjectionWatcher
from lineage_core.db.engine import create_engine
from tests.support.api import Seed, api_client, codes, gql, seed_graph, set_applied
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


def nested(levels: int) -> str:
    """A runs query `levels` fields deep: runs > nodes > inputs > source > inputs ... > id."""
    path = ["runs", "nodes"] + [("inputs", "source")[i % 2] for i in range(levels - 3)]
    return "{ " + " { ".join(path) + " { id " + "} " * len(path) + "}"


async def test_complexity_limits(database_url: str, nats_url: str) -> None:
    await Seed().write(database_url)

    def aliases(n: int) -> str:
        return "{ " + " ".join(f"a{i}: projectionStatus {{ lag }}" for i in range(n)) + " }"

    async with api_client(database_url, nats_url) as (client, _):
        ok15 = await gql(client, nested(15))
        too_deep = await gql(client, nested(16))
        ok50 = await gql(client, aliases(50))
        too_many = await gql(client, aliases(51))
        unknown = await gql(client, "{ runs { nodes { nope } } }")
        syntax = await gql(client, "{ runs { ")
        huge = await gql(client, "{ runs { nodes { " + "id " * 20_000 + "} } }")
        from graphql import get_introspection_query

        introspection = await gql(client, get_introspection_query())
    assert "errors" not in ok15, ok15
    assert codes(too_deep) == ["QUERY_TOO_COMPLEX"]
    assert "errors" not in ok50
    assert codes(too_many) == ["QUERY_TOO_COMPLEX"]
    assert codes(unknown) == ["BAD_USER_INPUT"]
    assert codes(syntax) == ["BAD_USER_INPUT"]
    assert codes(huge) == ["QUERY_TOO_COMPLEX"]  # turned away while parsing
    assert "errors" not in introspection


async def test_body_limit_and_internal_errors(
    database_url: str, nats_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    await Seed().write(database_url)
    big = json.dumps({"query": "{ runs { totalCount } }", "pad": "x" * (1024 * 1024)})
    async with api_client(database_url, nats_url) as (client, _):
        declared = await client.post(
            "/graphql", content=big, headers={"content-type": "application/json"}
        )

        # no content-length: the limit counts what arrives
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(5):
                yield b" " * (300 * 1024)

        streamed = await client.post(
            "/graphql",
            content=chunks(),
            headers={"content-type": "application/json"},
        )
        small = await client.post("/graphql", json={"query": "{ runs { totalCount } }"})
        # break the projection under the API: an internal fault, never a stack trace
        engine = create_engine(database_url)
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE projection.runs RENAME COLUMN name TO name_x"))
        await engine.dispose()
        broken = await gql(client, "{ runs { nodes { name } } }", headers={"x-request-id": "rq-1"})
    assert declared.status_code == 413
    assert streamed.status_code == 413
    assert small.status_code == 200
    [error] = broken["errors"]
    assert error["extensions"]["code"] == "INTERNAL"
    assert error["message"] == "internal error (request id rq-1)"
    assert "Traceback" not in json.dumps(broken)
    assert "name_x" not in json.dumps(broken)
    assert any("rq-1" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_bearer_token(database_url: str, nats_url: str) -> None:
    await Seed().write(database_url)
    async with api_client(database_url, nats_url, api_token="s3cret") as (client, _):
        missing = await client.post("/graphql", json={"query": "{ runs { totalCount } }"})
        wrong = await client.post(
            "/graphql",
            json={"query": "{ runs { totalCount } }"},
            headers={"Authorization": "Bearer nope"},
        )
        right = await client.post(
            "/graphql",
            json={"query": "{ runs { totalCount } }"},
            headers={"Authorization": "Bearer s3cret"},
        )
        metrics = await client.get("/metrics")
        lineage = await client.post("/api/v1/lineage", json={})
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
    assert missing.status_code == 401
    assert wrong.status_code == 401
    assert missing.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert right.status_code == 200
    assert right.json()["data"]["runs"]["totalCount"] == 0
    assert metrics.status_code == 401
    assert lineage.status_code == 401
    assert health.status_code == 200
    assert ready.status_code == 200


def _listening(watcher: ProjectionWatcher) -> bool:
    return watcher._listener is not None


async def _status_is(client: httpx.AsyncClient, path: str, status: int) -> httpx.Response | None:
    response = await client.get(path)
    return response if response.status_code == status else None


async def test_read_your_writes(database_url: str, nats_url: str) -> None:
    s = Seed()
    run = s.run(None)
    await s.write(database_url, applied=5)
    query = "query($id: ID!) { run(id: $id) { id } }"
    engine = create_engine(database_url)
    try:
        async with api_client(database_url, nats_url) as (client, app):
            app.state.watcher  # noqa: B018 - opened by the lifespan
            done = await gql(client, query, {"id": str(run)}, {"X-Lineage-Min-Sequence": "5"})
            assert done["data"]["run"] == {"id": str(run)}
            waiting = asyncio.create_task(
                gql(client, query, {"id": str(run)}, {"X-Lineage-Min-Sequence": "7"})
            )
            # the request has reached the watcher once the watcher listens for NOTIFY
            await wait_until(
                lambda: _listening(app.state.watcher), what="the request waiting on the watcher"
            )
            assert not waiting.done()  # it waits for the projector, not for a timer
            async with engine.begin() as conn:
                await set_applied(conn, 7, notify=True)
            answered = await asyncio.wait_for(waiting, 3)
            assert answered["data"]["run"] == {"id": str(run)}
            lag = await gql(client, query, {"id": str(run)}, {"X-Lineage-Min-Sequence": "8"})
            bad = await gql(client, query, {"id": str(run)}, {"X-Lineage-Min-Sequence": "x"})
    finally:
        await engine.dispose()
    assert codes(lag) == ["PROJECTION_LAG"]
    assert lag["data"] is None
    assert codes(bad) == ["BAD_USER_INPUT"]


async def test_health_ready_metrics(database_url: str, nats_url: str, nats_server) -> None:  # type: ignore[no-untyped-def]
    await Seed().write(database_url, applied=2)
    async with api_client(database_url, nats_url) as (client, app):
        for _ in range(4):
            await app.state.resources.js.publish("lineage.run.finished", b"{}")
        await gql(client, "query SeedQuestion { runs { totalCount } }")
        await gql(client, "query SeedQuestion { runs { totalCount } }")
        metrics = (await client.get("/metrics")).text
        ready = await client.get("/readyz")
        nats_server.stop()
        try:
            not_ready = await wait_until(
                lambda: _status_is(client, "/readyz", 503), what="/readyz answering 503"
            )
            health = await client.get("/healthz")
        finally:
            nats_server.start()
    assert 'lineage_api_requests_total{operation="SeedQuestion",outcome="ok"} 2.0' in metrics
    assert 'lineage_api_request_seconds_count{operation="SeedQuestion"} 2.0' in metrics
    assert "lineage_projector_lag 2.0" in metrics
    assert ready.status_code == 200
    assert ready.json() == {
        "ready": True,
        "nats": "ok",
        "postgres": "ok",
    }
    assert not_ready.status_code == 503
    assert not_ready.json()["nats"] != "ok"
    assert health.status_code == 200


async def test_no_n_plus_one(database_url: str, nats_url: str) -> None:
    s = Seed()
    tid = s.transform("pipeline", "p", "1")
    previous = s.dobject("seed", ".txt")
    for _ in range(100):
        run = s.run(tid)
        s.load(run, previous)
        previous = s.dobject("out", ".txt", source=run)
    await s.write(database_url)
    query = """{ runs(first: 100) { totalCount nodes { id transform { name runs { id } }
                 pipeline { name } inputs { name source { id } targets { id } }
                 outputs { name targets { id } } upstreamRuns { id } facets } } }"""
    async with api_client(database_url, nats_url) as (client, app):
        stats = app.state.query_stats
        before = stats.statements
        body = await gql(client, query)
        statements = stats.statements - before
    assert "errors" not in body, body
    assert len(body["data"]["runs"]["nodes"]) == 100
    assert len(body["data"]["runs"]["nodes"][0]["transform"]["runs"]) == 100
    # page (with transforms), count, transform runs, inputs, sources, targets, outputs,
    # output targets, upstream runs, facets: one statement each, whatever the page size
    assert statements <= 11, statements


async def test_the_seed_question_is_one_statement(database_url: str, nats_url: str) -> None:
    s, _ids = seed_graph()
    await s.write(database_url)
    query = """{ runs(filter: {output: {name: "output", suffix: ".bam"}}) {
                 nodes { id status transform { name version } inputs { name hash } } } }"""
    async with api_client(database_url, nats_url) as (client, app):
        stats = app.state.query_stats
        before = stats.statements
        body = await gql(client, query)
        statements = stats.statements - before
        aliased = await gql(client, query.replace("inputs {", "ins: inputs {"))
    [run] = body["data"]["runs"]["nodes"]
    assert run["transform"] == {"name": "Cell Ranger", "version": "7"}
    assert run["inputs"] == [{"name": "input", "hash": "h-fastq"}]  # not its own output
    assert statements == 1  # page, transforms and inputs in one
    assert aliased["data"]["runs"]["nodes"][0]["ins"] == run["inputs"]


async def test_a_statement_past_the_timeout_is_refused(database_url: str, nats_url: str) -> None:
    s = Seed()
    final = s.run(None)
    for i in range(300):  # 300 inputs, each from a run of 10 inputs: a walk of 6,000 rows
        run = s.run(None)
        for j in range(10):
            s.load(run, s.dobject(f"raw{i}-{j}", ".txt"))
        s.load(final, s.dobject(f"mid{i}", ".txt", source=run))
    out = s.dobject("out", ".txt", source=final)
    await s.write(database_url)
    query = f'{{ lineage(dobjectId: "{out}", depth: 50) {{ truncated nodes {{ id }} }} }}'
    async with api_client(database_url, nats_url) as (client, _):
        whole = await gql(client, query)
    async with api_client(database_url, nats_url, api_statement_timeout_ms=1) as (client, _):
        cut = await gql(client, query)
        # The connection went back to the pool in working order: later requests answer.
        # With a 1 ms budget a small read may itself run out of time on a loaded machine,
        # so a few are allowed to, as timeouts only; a broken connection would fail
        # every one, and not as a timeout.
        afters = []
        for _ in range(20):
            afters.append(await gql(client, "{ projectionStatus { appliedSequence } }"))
            if "errors" not in afters[-1]:
                break
    assert len(whole["data"]["lineage"]["nodes"]) == 1 + 1 + 300 + 300 + 3000
    assert codes(cut) == ["QUERY_TOO_COMPLEX"]
    assert "timeout" in cut["errors"][0]["message"]
    assert "errors" not in afters[-1], afters
    assert all(codes(a) == ["QUERY_TOO_COMPLEX"] for a in afters[:-1]), afters
