"""The read model's pieces that need no database: rows read exactly their column lists,
each relation is one template for both shapes, and its refusals get their codes."""

from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from graphql_api.errors import coded
from lineage_read import as_of, relations
from lineage_read.errors import BadInput, NotFound, TooComplex, not_found
from lineage_read.relations import Relation
from lineage_read.rows import (
    DOBJECT_COLUMNS,
    RUN_COLUMNS,
    TRANSFORM_COLUMNS,
    DObjectRow,
    RunRow,
    TransformRow,
)
from lineage_read.shape import TODAY, shaped

AT = datetime(2026, 3, 1, tzinfo=UTC)


def _names(columns: str) -> list[str]:
    """The result names of a column list ("r.id" -> "id", "... AS name" -> "name")."""
    parts = re.split(r",\s*(?![^()]*\))", columns)
    return [re.split(r"\s+AS\s+|\.", p.strip())[-1] for p in parts]


class _Record(dict[str, Any]):
    """A result row that remembers which columns were read."""

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)


_VALUES = {"status": "COMPLETED", "type": "notebook"}


@pytest.mark.parametrize(
    ("columns", "row"),
    [(RUN_COLUMNS, RunRow), (DOBJECT_COLUMNS, DObjectRow), (TRANSFORM_COLUMNS, TransformRow)],
)
def test_rows_read_exactly_their_columns(columns: str, row: Any) -> None:
    names = _names(columns)
    record = _Record({n: _VALUES.get(n, f"v-{n}") for n in names})
    built = row.of(record, AT)
    assert record.read == set(names)  # every listed column, and nothing else
    assert dataclasses.is_dataclass(built)
    assert built.as_of == AT
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.id = "changed"


def test_dated_columns_keep_the_names() -> None:
    assert _names(as_of.run_columns("$2")) == _names(RUN_COLUMNS)
    assert _names(as_of.dobject_columns("$2")) == _names(DOBJECT_COLUMNS)
    assert as_of.run_columns(None) == RUN_COLUMNS


def test_each_relation_is_one_template_for_now_and_as_of() -> None:
    found = {n: r for n, r in vars(relations).items() if isinstance(r, Relation)}
    assert len(found) == 10
    dated, params = shaped(AT, "$2")
    assert params == (AT,)
    assert shaped(None, "$2") == (TODAY, ())
    for name, relation in found.items():
        today, then = relation.sql(TODAY), relation.sql(dated)
        assert "$2" not in today, name
        assert "$2::timestamptz" in then, name
        assert relation.sql(dated) is then  # built once per shape


def test_refusals_get_their_codes() -> None:
    for error, code in (
        (BadInput("bad"), "BAD_USER_INPUT"),
        (not_found("RUN", uuid.UUID(int=1), AT), "NOT_FOUND"),
        (TooComplex("slow"), "QUERY_TOO_COMPLEX"),
    ):
        answered = coded(error)
        assert answered is not None
        assert (answered.code, answered.message) == (code, error.message)
    assert not_found("DOBJECT", 7).message == "no dobject with id 7"
    assert isinstance(not_found("RUN", 7), NotFound)
    assert coded(ValueError("not ours")) is None
