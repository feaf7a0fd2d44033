"""GraphQL answers in tests that include everything published so far."""

from __future__ import annotations

import time
from typing import Any

import httpx

# How long the projection may take to reach the tip: the API waits 5 s per request and
# then answers PROJECTION_LAG ("retry later"); a loaded machine can need several.
TIP_TIMEOUT = 120.0


def graphql_at_tip(api_url: str, query: str) -> dict[str, Any]:
    """The `data` of `query`, answered once the projection reached the stream's tip
    (read-your-writes on the last sequence, retried while the API answers PROJECTION_LAG,
    as a client is told to); fails the test on any other GraphQL error."""
    url = f"{api_url}/graphql"
    tip = httpx.post(url, json={"query": "{ projectionStatus { streamSequence } }"}, timeout=30)
    sequence = tip.json()["data"]["projectionStatus"]["streamSequence"]
    headers = {"X-Lineage-Min-Sequence": str(sequence)}
    deadline = time.monotonic() + TIP_TIMEOUT
    while True:
        answer = httpx.post(url, json={"query": query}, timeout=30, headers=headers).json()
        codes = [e.get("extensions", {}).get("code") for e in answer.get("errors") or []]
        if codes != ["PROJECTION_LAG"] or time.monotonic() >= deadline:
            break
    assert "errors" not in answer, answer
    return answer["data"]  # type: ignore[no-any-return]
