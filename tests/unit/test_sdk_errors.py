"""Error messages say what to do, and GraphQL answers map to SDK errors."""

from __future__ import annotations

import pytest

from producer_sdk import graphql
from producer_sdk.errors import (
    ProjectionLag,
    QueryError,
    ServiceUnreachable,
    Unauthenticated,
    UnknownPipeline,
    error_text,
)


def test_unknown_pipeline_gives_the_line_to_type() -> None:
    err = UnknownPipeline("Cell Ranger", None, "http://127.0.0.1:8000")
    assert "ln.add(lns.Pipeline(name='Cell Ranger', v='1'))" in str(err)
    assert "http://127.0.0.1:8000" in str(err)
    assert "v='7'" in str(UnknownPipeline("Cell Ranger", "7", "u"))


def test_unreachable_service_names_the_url_and_how_to_start_one() -> None:
    message = str(ServiceUnreachable("http://127.0.0.1:9/graphql", "refused"))
    assert "http://127.0.0.1:9/graphql" in message
    assert "lineage up" in message
    assert "LINEAGE_API_URL" in message


def test_error_text() -> None:
    assert error_text(ValueError("bad input")) == "ValueError: bad input"
    assert error_text(KeyboardInterrupt()) == "KeyboardInterrupt"


def test_headers_carry_min_sequence_and_token() -> None:
    assert graphql.headers(None, 0) == {"Content-Type": "application/json"}
    h = graphql.headers("s3cret", 42)
    assert h["X-Lineage-Min-Sequence"] == "42"
    assert h["Authorization"] == "Bearer s3cret"
    assert graphql.endpoint("http://h:1/") == "http://h:1/graphql"
    assert graphql.endpoint("http://h:1/graphql") == "http://h:1/graphql"


def test_answers_map_to_errors() -> None:
    url = "http://h/graphql"
    assert graphql.check_answer(200, {"data": {"x": 1}}, url) == {"x": 1}
    lag = {"errors": [{"message": "behind", "extensions": {"code": "PROJECTION_LAG"}}]}
    with pytest.raises(ProjectionLag, match="not caught up"):
        graphql.check_answer(200, lag, url)
    with pytest.raises(Unauthenticated, match="LINEAGE_API_TOKEN"):
        graphql.check_answer(401, None, url)
    bad = {"errors": [{"message": "bad id", "extensions": {"code": "BAD_USER_INPUT"}}]}
    with pytest.raises(QueryError) as info:
        graphql.check_answer(200, bad, url)
    assert info.value.code == "BAD_USER_INPUT"
    with pytest.raises(QueryError, match="without GraphQL JSON"):
        graphql.check_answer(502, None, url)
