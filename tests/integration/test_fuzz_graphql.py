"""A short, seeded slice of the GraphQL fuzz target (bench/fuzz.py runs 100,000 inputs):
generated, invalid and hostile documents, cursors and ids against the real API, seeded
projection, Postgres and nats-server. No HTTP 500, no INTERNAL error."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given

from tests.support.api import api_client, seed_graph
from tests.support.fuzzing import check_graphql, fuzz_settings, graphql_inputs

pytestmark = pytest.mark.integration

SLICE = 150


def test_any_document_cursor_or_id_gets_an_answer_not_a_crash(
    database_url: str, nats_url: str
) -> None:
    loop = asyncio.new_event_loop()
    try:
        seed, _ids = seed_graph()
        loop.run_until_complete(seed.write(database_url))
        serving = api_client(database_url, nats_url, api_rate_limit=0)
        client, _app = loop.run_until_complete(serving.__aenter__())
        try:

            @fuzz_settings(SLICE)
            @given(graphql_inputs())
            def one(body: dict[str, Any]) -> None:
                loop.run_until_complete(check_graphql(client, body))

            one()
        finally:
            loop.run_until_complete(serving.__aexit__(None, None, None))
    finally:
        loop.close()
