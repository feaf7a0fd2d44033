"""The filter inputs' own `from_input` builds what strawberry's generic conversion builds."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from strawberry.types.arguments import convert_argument

from graphql_api.inputs import (
    FILTER_INPUTS,
    DObjectFilter,
    RunFilter,
    RunStatus,
    TransformFilter,
    TransformType,
    install_fast_inputs,
)
from graphql_api.schema import LineageSchema, build_schema

SCHEMA = build_schema()
text = st.one_of(st.none(), st.text(max_size=5))


def run_filters(dobjects: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "id": text,
            "name": text,
            "status": st.sampled_from([None, *RunStatus]),
            "transformType": st.sampled_from([None, *TransformType]),
            "transformName": text,
            "transformVersion": text,
            "output": st.one_of(st.none(), dobjects),
            "input": st.one_of(st.none(), dobjects),
        },
    )


def dobject_filters(runs: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "id": text,
            "name": text,
            "suffix": text,
            "hash": text,
            "source": st.one_of(st.none(), runs),
            "target": st.one_of(st.none(), runs),
        },
    )


leaf_run = run_filters(st.just({}))
values = st.one_of(
    st.tuples(st.just(RunFilter), run_filters(dobject_filters(leaf_run))),
    st.tuples(st.just(DObjectFilter), dobject_filters(run_filters(dobject_filters(leaf_run)))),
    st.tuples(
        st.just(TransformFilter),
        st.fixed_dictionaries(
            {},
            optional={
                "id": text,
                "name": text,
                "version": text,
                "run": st.one_of(st.none(), run_filters(dobject_filters(leaf_run))),
            },
        ),
    ),
)


def convert(schema: LineageSchema, cls: type, value: dict[str, Any]) -> Any:
    return convert_argument(value, cls, schema.schema_converter.scalar_registry, schema.config)


@settings(max_examples=200, deadline=None)
@given(values)
def test_fast_inputs_build_what_strawberry_builds(case: tuple[type, dict[str, Any]]) -> None:
    cls, value = case
    fast = convert(SCHEMA, cls, value)
    for c in FILTER_INPUTS:  # strawberry's own conversion, for one comparison
        c.__strawberry_definition__.from_input = None
    try:
        slow = convert(SCHEMA, cls, value)
    finally:
        install_fast_inputs(SCHEMA.config.name_converter.from_field)
    assert fast == slow
    assert type(fast) is cls


def test_the_seed_filter() -> None:
    built = convert(SCHEMA, RunFilter, {"output": {"name": "output", "suffix": ".bam"}})
    assert built == RunFilter(output=DObjectFilter(name="output", suffix=".bam"))
