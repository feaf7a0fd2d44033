"""The direct path (plain JSON POSTs, graphql_api/direct.py) answers exactly as
strawberry's view does: the same queries over GET, which always takes the view."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from graphql_api import view
from graphql_api.direct import execute_plain
from tests.support.api import api_client, seed_graph

pytestmark = pytest.mark.integration

HEADERS = {"X-Request-Id": "same-id"}


def cases(ids: dict[str, Any]) -> list[tuple[str, dict[str, Any] | None, str | None]]:
    run, bam = str(ids["rcr"]), str(ids["bam"])
    return [
        (
            """{ runs(filter: {output: {name: "output", suffix: ".bam"}}) { totalCount
              nodes { id name status startedAt transform { __typename name version
              ... on Pipeline { reference } } inputs { id name suffix hash size } } } }""",
            None,
            None,
        ),
        (
            (
                "query Q($id: ID!) { run(id: $id) { id outputs { name source { id } } "
                "upstreamRuns { id } notebook { id } pipeline { name } } }"
            ),
            {"id": run},
            "Q",
        ),
        (
            (
                "query A { dobjects(first: 1) { pageInfo { hasNextPage endCursor } nodes { id } } }"
                " query B { notebooks { nodes { title runs { id } } } }"
            ),
            None,
            "B",
        ),
        (
            (
                "query L($d: ID!) { lineage(dobjectId: $d, depth: 3) { truncated nodes { id kind "
                "depth } edges { source target } } }"
            ),
            {"d": bam},
            "L",
        ),
        ("{ runs(first: 5000) { totalCount } }", None, None),  # BAD_USER_INPUT
        ('{ run(id: "not-a-uuid") { id } }', None, None),
        (
            '{ lineage(runId: "00000000-0000-0000-0000-000000000000") { truncated } }',
            None,
            None,
        ),  # NOT_FOUND
        ("{ runs { nodes { nope } } }", None, None),  # validation error
        ("query Q($id: ID!) { run(id: $id) { id } }", {"id": 7}, None),  # bad variable
    ]


async def both(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None, name: str | None
) -> tuple[httpx.Response, httpx.Response]:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    if name is not None:
        body["operationName"] = name
    params = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in body.items()}
    posted = await client.post("/graphql", json=body, headers=HEADERS)
    got = await client.get("/graphql", params=params, headers=HEADERS)
    return posted, got


async def test_direct_answers_match_the_view(
    database_url: str, nats_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    answered = []

    async def counted(*args: Any, **kwargs: Any) -> bytes | None:
        answer = await execute_plain(*args, **kwargs)
        answered.append(answer is not None)
        return answer

    monkeypatch.setattr(view, "execute_plain", counted)
    s, ids = seed_graph()
    await s.write(database_url)
    async with api_client(database_url, nats_url) as (client, _):
        for query, variables, name in cases(ids):
            posted, got = await both(client, query, variables, name)
            assert posted.status_code == got.status_code == 200, (query, posted.text)
            assert posted.json() == got.json(), query
            assert posted.headers["content-type"] == "application/json"
        answer = (await both(client, *cases(ids)[0]))[0].json()
        assert answer["data"]["runs"]["nodes"][0]["inputs"][0]["name"] == "input"
    assert answered == [True] * (len(cases(ids)) + 1)  # every POST took the direct path


async def test_what_the_direct_path_leaves_to_the_view(database_url: str, nats_url: str) -> None:
    s, _ids = seed_graph()
    await s.write(database_url)
    async with api_client(database_url, nats_url) as (client, _):
        bad_json = await client.post(
            "/graphql", content=b"{not json", headers={"content-type": "application/json"}
        )
        syntax = await client.post("/graphql", json={"query": "{ runs { "})
        with_extensions = await client.post(
            "/graphql", json={"query": "{ runs { totalCount } }", "extensions": {}}
        )
        no_operation = await client.post(
            "/graphql", json={"query": "query A { runs { totalCount } }", "operationName": "B"}
        )
        subscription = await client.post(
            "/graphql",
            json={"query": "subscription { lineageEvents { eventType } }"},
            headers={"accept": "multipart/mixed;subscriptionSpec=1.0, application/json"},
        )
        subscription_get = await client.get(
            "/graphql", params={"query": "subscription S { lineageEvents { eventType } }"}
        )
    assert bad_json.status_code == 400
    assert syntax.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert with_extensions.json() == {"data": {"runs": {"totalCount": 4}}}
    assert no_operation.status_code == 400
    [error] = subscription.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "WebSocket" in error["message"]
    assert error["extensions"]["requestId"]
    assert subscription_get.json()["errors"][0]["message"] == error["message"]
