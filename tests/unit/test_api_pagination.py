"""Ids, page sizes, cursors and the complexity rule, without a server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from graphql import get_introspection_query, parse, validate

from graphql_api.errors import LineageError, coded
from graphql_api.inputs import parse_id
from graphql_api.rules import ComplexityRule
from graphql_api.schema import build_schema
from lineage_read.errors import BadInput
from lineage_read.pages import MAX_PAGE, decode_cursor, encode_cursor, page_size


def test_cursor_round_trip_and_refusals() -> None:
    at, rid = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), uuid.uuid4()
    cursor = encode_cursor("run", at, rid)
    assert decode_cursor("run", cursor) == (at, rid)
    for bad in ("", "abc", "!!!", encode_cursor("dobject", at, rid), "W10=", "WyJydW4iXQ=="):
        with pytest.raises(BadInput) as err:
            decode_cursor("run", bad)
        answered = coded(err.value)  # as the GraphQL face answers it
        assert answered is not None
        assert answered.code == "BAD_USER_INPUT"


def test_page_size_and_ids() -> None:
    assert page_size(None) == 100
    assert page_size(0) == 0
    assert page_size(5000) == MAX_PAGE
    with pytest.raises(BadInput):
        page_size(-1)
    rid = uuid.uuid4()
    assert parse_id(str(rid)) == rid
    with pytest.raises(LineageError):
        parse_id("12")


def _errors(document: str) -> list[str]:
    schema = build_schema()._schema
    return [e.extensions["code"] for e in validate(schema, parse(document), [ComplexityRule])]


def test_complexity_rule_counts_through_fragments() -> None:
    path = [("inputs", "source")[i % 2] for i in range(14)]  # + runs, nodes, id = 17
    body = " { ".join(path) + " { id " + "} " * len(path)
    deep_via_fragment = f"fragment R on Run {{ {body} }} {{ runs {{ nodes {{ ...R }} }} }}"
    assert _errors(deep_via_fragment) == ["QUERY_TOO_COMPLEX"]
    aliased = (
        "fragment F on Query { "
        + " ".join(f"x{i}: projectionStatus {{ lag }}" for i in range(51))
        + " } { ...F }"
    )
    assert _errors(aliased) == ["QUERY_TOO_COMPLEX"]
    assert _errors(get_introspection_query()) == []
    assert _errors("{ a: runs { totalCount } b: runs { totalCount } }") == []
