"""GraphQL answers in tests that include everything published so far."""

from __future__ import annotations

from typing import Any

import httpx


def graphql_at_tip(api_url: str, query: str) -> dict[str, Any]:
    """The `data` of `query`, answered once the projection reached the stream's tip
    (read-your-writes on the last sequence); fails the test on any GraphQL error."""
    url = f"{api_url}/graphql"
    tip = httpx.post(url, json={"query": "{ projectionStatus { streamSequence } }"}, timeout=10)
    sequence = tip.json()["data"]["projectionStatus"]["streamSequence"]
    answer = httpx.post(
        url, json={"query": query}, timeout=10, headers={"X-Lineage-Min-Sequence": str(sequence)}
    ).json()
    assert "errors" not in answer, answer
    return answer["data"]  # type: ignore[no-any-return]
