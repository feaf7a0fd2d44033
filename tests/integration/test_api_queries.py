"""Queries against a seeded projection: the seed question, filters, pages, ids, errors."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from lineage_read.database import asyncpg_dsn
from tests.support.api import Seed, api_client, codes, gql, seed_graph

pytestmark = pytest.mark.integration


SEED_QUESTION = """
query { runs(filter: {output: {name: "output", suffix: ".bam"}}) {
  totalCount nodes { id name status transform { __typename name version }
    pipeline { reference } notebook { title }
    inputs { id name suffix size } outputs { name } } } }
"""


async def test_the_seed_question(database_url: str, nats_url: str) -> None:
    s, ids = seed_graph()
    await s.write(database_url)
    async with api_client(database_url, nats_url) as (client, _):
        body = await gql(client, SEED_QUESTION)
    assert "errors" not in body, body
    conn = body["data"]["runs"]
    assert conn["totalCount"] == 1
    [run] = conn["nodes"]
    assert run["id"] == str(ids["rcr"])
    assert run["name"] == "cr-run"
    assert run["status"] == "COMPLETED"
    assert run["transform"] == {"__typename": "Pipeline", "name": "Cell Ranger", "version": "7"}
    assert run["notebook"] is None
    assert run["pipeline"] == {"reference": None}
    # its own output.bam, loaded by itself, is not an input
    assert run["inputs"] == [
        {"id": str(ids["fastq"]), "name": "input", "suffix": ".fastq.gz", "size": 5}
    ]
    assert run["outputs"] == [{"name": "output"}]


async def test_nested_filters_and_relations(database_url: str, nats_url: str) -> None:
    s, ids = seed_graph()
    await s.write(database_url)
    async with api_client(database_url, nats_url) as (client, _):
        body = await gql(
            client,
            """
          query { dobjects(filter: {source: {transformName: "Cell Ranger"}}) {
                    nodes { name source { id } targets { id } } }
                  notebooks(filter: {run: {input: {name: "output"}}}) {
                    totalCount nodes { name title runs { id status } } }
                  pipelines(filter: {name: "Cell Ranger"}) { nodes { id type } }
                  failed: runs(filter: {status: FAILED, transformType: NOTEBOOK}) {
                    nodes { id notebook { name } } }
                  loaders: dobjects(filter: {target: {transformVersion: "7"}}) {
                    nodes { name } }
                  orphan: dobjects(filter: {name: "iris_new"}) {
                    nodes { source { id status transform { name } } } } }""",
        )
    assert "errors" not in body, body
    d = body["data"]
    assert d["dobjects"]["nodes"] == [
        {"name": "output", "source": {"id": str(ids["rcr"])}, "targets": [{"id": str(ids["rnb"])}]}
    ]
    assert d["notebooks"] == {
        "totalCount": 1,
        "nodes": [
            {
                "name": "analysis.ipynb",
                "title": "Analysis",
                "runs": [{"id": str(ids["rnb"]), "status": "FAILED"}],
            }
        ],
    }
    assert d["pipelines"]["nodes"] == [{"id": str(ids["pcr"]), "type": "PIPELINE"}]
    assert d["failed"]["nodes"] == [{"id": str(ids["rnb"]), "notebook": {"name": "analysis.ipynb"}}]
    assert d["loaders"]["nodes"] == [{"name": "input"}]
    assert d["orphan"]["nodes"] == [
        {"source": {"id": str(ids["orphan"]), "status": "STARTED", "transform": None}}
    ]


async def test_single_lookups_and_ids(database_url: str, nats_url: str) -> None:
    s, ids = seed_graph()
    await s.write(database_url)
    async with api_client(database_url, nats_url) as (client, _):
        body = await gql(
            client,
            "query($r: ID!, $d: ID!, $x: ID!) { run(id: $r) { id "
            "upstreamRuns { id } downstreamRuns { id } facets } "
            "dobject(id: $d) { name createdAt } missing: run(id: $x) { id } }",
            {"r": str(ids["rcr"]), "d": str(ids["bam"]), "x": str(uuid.uuid4())},
        )
        bad = await gql(client, '{ run(id: "not-a-uuid") { id } }')
        bad_filter = await gql(client, '{ runs(filter: {output: {id: "nope"}}) { totalCount } }')
    assert "errors" not in body, body
    assert body["data"]["run"] == {
        "id": str(ids["rcr"]),
        "upstreamRuns": [{"id": str(ids["r10x"])}],
        "downstreamRuns": [{"id": str(ids["rnb"])}],
        "facets": None,
    }
    assert body["data"]["dobject"]["name"] == "output"
    assert body["data"]["dobject"]["createdAt"].startswith("2026-01-01T00:00")
    assert body["data"]["missing"] is None
    assert codes(bad) == ["BAD_USER_INPUT"]
    assert bad["data"] == {"run": None}
    assert codes(bad_filter) == ["BAD_USER_INPUT"]


async def test_pages_cursors_and_first(database_url: str, nats_url: str) -> None:
    s = Seed()
    made = [s.run(None) for _ in range(7)]
    await s.write(database_url)
    page_q = (
        "query($f: Int, $a: String) { runs(first: $f, after: $a) { totalCount "
        "pageInfo { hasNextPage endCursor } nodes { id } } }"
    )
    async with api_client(database_url, nats_url) as (client, _):
        seen: list[str] = []
        after = None
        while True:
            body = await gql(client, page_q, {"f": 3, "a": after})
            conn = body["data"]["runs"]
            assert conn["totalCount"] == 7
            seen += [n["id"] for n in conn["nodes"]]
            if not conn["pageInfo"]["hasNextPage"]:
                break
            after = conn["pageInfo"]["endCursor"]
        zero = await gql(client, page_q, {"f": 0})
        negative = await gql(client, page_q, {"f": -1})
        malformed = await gql(client, page_q, {"f": 2, "a": "%%%not a cursor"})
        wrong_kind = await gql(
            client, "query($a: String) { dobjects(after: $a) { totalCount } }", {"a": after}
        )
        capped = await gql(client, "{ runs(first: 100000) { nodes { id } } }")
    assert seen == [str(r) for r in made]  # stable order: first seen, oldest first
    assert zero["data"]["runs"]["nodes"] == []
    assert zero["data"]["runs"]["pageInfo"] == {"hasNextPage": True, "endCursor": None}
    assert codes(negative) == ["BAD_USER_INPUT"]
    assert codes(malformed) == ["BAD_USER_INPUT"]
    assert codes(wrong_kind) == ["BAD_USER_INPUT"]
    assert len(capped["data"]["runs"]["nodes"]) == 7


async def test_projection_status(database_url: str, nats_url: str) -> None:
    s = Seed()
    await s.write(database_url, applied=0)
    async with api_client(database_url, nats_url) as (client, app):
        js = app.state.resources.js
        for _ in range(3):
            await js.publish("lineage.run.finished", b"{}")
        body = await gql(
            client, "{ projectionStatus { appliedSequence streamSequence lag lastEventAt } }"
        )
    assert body["data"]["projectionStatus"] == {
        "appliedSequence": 0,
        "streamSequence": 3,
        "lag": 3,
        "lastEventAt": None,
    }


async def test_queries_survive_a_rebuild_swap(database_url: str, nats_url: str) -> None:
    """`lineage rebuild` swaps the projection schema under running queries' prepared
    statements; the next request still answers (from the new projection)."""
    from lineage_core.settings import Settings
    from projector.rebuild import rebuild

    s, _ids = seed_graph()
    await s.write(database_url)
    async with api_client(database_url, nats_url) as (client, _):
        before = [await gql(client, SEED_QUESTION) for _ in range(6)]  # plans cached
        await rebuild(Settings(database_url=database_url, nats_url=nats_url))
        after = await gql(client, SEED_QUESTION)
    assert before[-1]["data"]["runs"]["totalCount"] == 1
    # the raw log is empty here, so the rebuilt projection is too
    assert after == {"data": {"runs": {"totalCount": 0, "nodes": []}}}


async def test_queries_survive_a_migration_of_the_tables_they_read(
    database_url: str, nats_url: str
) -> None:
    """The runs page reads each input as a whole dobjects row; a migration that adds a
    column while the API runs changes that row type under its pooled connections."""
    s, _ids = seed_graph()
    await s.write(database_url)
    async with api_client(database_url, nats_url, db_pool_size=2) as (client, _):
        before = await gql(client, SEED_QUESTION)
        conn = await asyncpg.connect(asyncpg_dsn(database_url))
        try:
            await conn.execute("ALTER TABLE projection.dobjects ADD COLUMN later text")
        finally:
            await conn.close()
        after = await gql(client, SEED_QUESTION)
    assert "errors" not in before, before
    assert after == before
