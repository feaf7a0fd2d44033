"""Filters compile to one statement of EXISTS subqueries with bound parameters."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from graphql_api.errors import LineageError
from graphql_api.filters import dobject_condition, run_condition, transform_condition
from graphql_api.inputs import DObjectFilter, RunFilter, RunStatus, TransformFilter, TransformType
from lineage_core.db.tables import dobjects, runs, transforms


def compiled(stmt):  # type: ignore[no-untyped-def]
    return stmt.compile(dialect=postgresql.asyncpg.dialect())


def test_seed_question_is_one_exists_with_bound_values() -> None:
    f = RunFilter(output=DObjectFilter(name="output", suffix=".bam"))
    c = compiled(select(runs.c.id).where(run_condition(f, runs)))
    sql = str(c)
    assert sql.count("EXISTS") == 1
    assert "output" not in sql and ".bam" not in sql  # values are parameters
    assert set(c.params.values()) == {"output", ".bam"}
    assert "projection.dobjects" in sql and "source_run_id = projection.runs.id" in sql


def test_deep_nesting_correlates_each_level() -> None:
    f = DObjectFilter(source=RunFilter(
        transform_name="Cell Ranger", status=RunStatus.COMPLETED,
        input=DObjectFilter(name="input", target=RunFilter(transform_type=TransformType.NOTEBOOK))))
    sql = str(compiled(select(dobjects.c.id).where(dobject_condition(f, dobjects))))
    assert sql.count("EXISTS") == 5  # source, its transform, input, target, its transform
    assert "IS DISTINCT FROM" in sql  # an input the run produced itself is no input
    t = TransformFilter(name="nb", run=RunFilter(output=DObjectFilter(name="iris_new")))
    sql_t = str(compiled(select(transforms.c.id).where(transform_condition(t, transforms))))
    assert sql_t.count("EXISTS") == 2


def test_empty_filter_is_true_and_bad_ids_are_user_errors() -> None:
    assert "WHERE true" in str(compiled(select(runs.c.id).where(run_condition(None, runs))))
    with pytest.raises(LineageError) as err:
        run_condition(RunFilter(output=DObjectFilter(id="not-an-id")), runs)
    assert err.value.code == "BAD_USER_INPUT"
    good = uuid.uuid4()
    c = compiled(select(runs.c.id).where(run_condition(RunFilter(id=str(good)), runs)))
    assert good in c.params.values()
