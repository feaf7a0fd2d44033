"""The explorer's and GraphiQL's pages are served by the API process from the package,
open without a token (they hold no data); every data request still needs one."""

from __future__ import annotations

import pytest

from tests.support.api import api_client

pytestmark = pytest.mark.integration

DOBJECT = "4d753616-235a-5f70-aff0-ad419114ef72"


async def test_pages_open_data_guarded(database_url: str, nats_url: str) -> None:
    async with api_client(database_url, nats_url, api_token="s3cret") as (client, _):
        home = await client.get("/")
        pages = [
            await client.get(path)
            for path in ("/ui/", f"/ui/dobject/{DOBJECT}", f"/ui/run/{DOBJECT}?depth=3")
        ]
        script = await client.get("/ui/static/explorer.js")
        worker = await client.get("/ui/static/layout-worker.js")
        graphiql = await client.get("/graphql", headers={"accept": "text/html"})
        data = await client.post("/graphql", json={"query": "{ runs { totalCount } }"})
        data_by_get = await client.get(
            "/graphql", params={"query": "{ runs { totalCount } }"}, headers={"accept": "text/html"}
        )
        not_a_browser = await client.get("/graphql", headers={"accept": "application/json"})
        unknown = await client.get("/ui/elsewhere/x")
    assert home.status_code == 307
    assert home.headers["location"] == "/ui/"
    for page in pages:
        assert page.status_code == 200
        assert '<script src="/ui/static/explorer.js">' in page.text
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert worker.status_code == 200
    assert graphiql.status_code == 200
    assert '<script src="/ui/static/graphiql.js">' in graphiql.text
    assert "unpkg" not in graphiql.text  # strawberry's page would load GraphiQL from a CDN
    assert data.status_code == 401
    assert data_by_get.status_code == 401  # a query in the URL is data, not the page
    assert not_a_browser.status_code == 401
    assert unknown.status_code in (401, 404)
