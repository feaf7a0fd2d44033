"""A short, seeded slice of the event and OpenLineage fuzz targets (bench/fuzz.py runs
them for 100,000 inputs each): nothing crashes, every bad input is refused with a reason."""

from __future__ import annotations

import pytest
from graphql import GraphQLError
from hypothesis import given

from graphql_api.documents import parse_bounded
from graphql_api.rules import brace_depth
from tests.support.fuzzing import (
    check_event,
    check_openlineage,
    event_inputs,
    fuzz_settings,
    openlineage_inputs,
)

SLICE = 200


@fuzz_settings(SLICE)
@given(event_inputs())
def test_any_bytes_on_a_lineage_subject_are_accepted_or_parked_with_a_reason(raw: bytes) -> None:
    check_event(raw)


@fuzz_settings(SLICE)
@given(openlineage_inputs())
def test_any_openlineage_body_is_refused_with_a_reason_or_maps_to_valid_events(
    body: bytes,
) -> None:
    check_openlineage(body)


def test_brace_depth_skips_strings_and_comments() -> None:
    assert brace_depth('{ a(x: "{{{{") { b } } # {{{{') == 2
    assert brace_depth('{ a(s: """x { \\" }""") { b } }') == 2
    assert brace_depth("query { a { b { c } } }") == 3


def test_a_depth_bomb_is_refused_before_parsing() -> None:
    bomb = "{ a " + "{ b " * 200 + "}" * 201
    with pytest.raises(GraphQLError) as refused:
        parse_bounded(bomb)
    assert refused.value.extensions == {"code": "QUERY_TOO_COMPLEX"}
    assert "braces deep" in refused.value.message


def test_a_huge_document_is_refused_without_scanning_it() -> None:
    huge = "{ runs { totalCount } }" + " " * (300 * 1024)
    with pytest.raises(GraphQLError) as refused:
        parse_bounded(huge)
    assert refused.value.extensions == {"code": "QUERY_TOO_COMPLEX"}
    assert "characters" in refused.value.message
