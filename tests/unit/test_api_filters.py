"""Filters compile to one statement of EXISTS subqueries with bound parameters."""

from __future__ import annotations

import uuid

import pytest
import strawberry

from graphql_api import inputs
from graphql_api.errors import LineageError
from lineage_read.filters import (
    DObjectFilter,
    RunFilter,
    Sql,
    TransformFilter,
    dobject_condition,
    run_condition,
    transform_condition,
)
from lineage_read.rows import RunStatus, TransformType


def test_seed_question_is_one_exists_with_bound_values() -> None:
    sql = Sql()
    where = run_condition(sql, RunFilter(output=DObjectFilter(name="output", suffix=".bam")), "r")
    assert where.count("EXISTS") == 1
    assert "output" not in where
    assert ".bam" not in where
    assert sql.params == ["output", ".bam"]
    # an output is any dobject the run wrote a version of (docs/reference/versions.md)
    assert "w2.run_id = r.id AND d1.name = $1 AND d1.suffix = $2" in where


def test_deep_nesting_correlates_each_level() -> None:
    sql = Sql()
    f = DObjectFilter(
        source=RunFilter(
            transform_name="Cell Ranger",
            status=RunStatus.COMPLETED,
            input=DObjectFilter(
                name="input", target=RunFilter(transform_type=TransformType.NOTEBOOK)
            ),
        )
    )
    where = dobject_condition(sql, f, "d")
    # source, its transform, input, target, its transform; and for each of the two input
    # edges, NOT EXISTS a version of the dobject its run produced (no input then)
    assert where.count("EXISTS") == 7
    assert where.count("NOT EXISTS (SELECT 1 FROM projection.dobject_versions pv") == 2
    assert sql.params == ["COMPLETED", "Cell Ranger", "input", "notebook"]
    aliases = [w for w in where.replace("(", " ").split() if w[:1] in "rtid" and w[1:].isdigit()]
    assert len(set(aliases)) == 7  # every level its own alias
    t_sql = Sql()
    t = TransformFilter(name="nb", run=RunFilter(output=DObjectFilter(name="iris_new")))
    assert transform_condition(t_sql, t, "t").count("EXISTS") == 2
    assert t_sql.params == ["nb", "iris_new"]


def test_empty_filter_is_true_and_bad_ids_are_user_errors() -> None:
    assert run_condition(Sql(), None, "r") == "true"
    assert run_condition(Sql(), RunFilter(), "r") == "true"
    # ids are parsed where the GraphQL input becomes the read model's filter
    with pytest.raises(LineageError) as err:
        inputs.RunFilter(output=inputs.DObjectFilter(id=strawberry.ID("not-an-id"))).to_filter()
    assert err.value.code == "BAD_USER_INPUT"
    assert "dobject id 'not-an-id'" in err.value.message
    good = uuid.uuid4()
    sql = Sql()
    converted = inputs.RunFilter(
        id=strawberry.ID(str(good)), status=inputs.RunStatus.FAILED
    ).to_filter()
    assert converted == RunFilter(id=good, status=RunStatus.FAILED)
    assert run_condition(sql, converted, "r") == "r.id = $1 AND r.status = $2"
    assert sql.params == [good, "FAILED"]
