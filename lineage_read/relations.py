"""What the per-request loaders fetch: one statement per relation per batch of parent
ids, grouped by the `parent_id` column, built from one template per relation for every
shape (shape.py: now, or as of an instant bound to $2). An input a run produced itself
is stored but never shown (tables.py); as of an instant, every row and edge is shown
only once the event that made it had occurred (as_of.py)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Final, Generic, TypeVar

from lineage_read.as_of import (
    all_of,
    dobject_columns,
    dobject_exists,
    input_edge,
    run_columns,
    run_exists,
    started_by,
    transform_exists,
    version_created,
)
from lineage_read.database import Database, Record, RequestDb
from lineage_read.rows import TRANSFORM_COLUMNS, DObjectRow, RunRow, TransformRow
from lineage_read.shape import Shape, Statements, shaped

R = TypeVar("R", RunRow, DObjectRow, TransformRow)
Key = uuid.UUID


class Relation(Generic[R]):
    """One relation: its statements (one per shape) and the row each result row reads as."""

    def __init__(
        self, row: Callable[[Record, datetime | None], R], build: Callable[[Shape], str]
    ) -> None:
        self.row: Callable[[Record, datetime | None], R] = row
        self.statements = Statements(build)

    def sql(self, shape: Shape) -> str:
        return self.statements[shape]


def _runs(shape: Shape) -> str:
    at = shape.at
    return (
        f"SELECT {run_columns(at)} FROM projection.runs r "
        f"WHERE {all_of('r.id = ANY($1::uuid[])', run_exists('r', at))}"
    )


def _dobjects(shape: Shape) -> str:
    at = shape.at
    return (
        f"SELECT {dobject_columns(at)} FROM projection.dobjects d "
        f"WHERE {all_of('d.id = ANY($1::uuid[])', dobject_exists('d', at))}"
    )


def _transforms(shape: Shape) -> str:
    at = shape.at
    return (
        f"SELECT {TRANSFORM_COLUMNS} FROM projection.transforms t "
        f"WHERE {all_of('t.id = ANY($1::uuid[])', transform_exists('t', at))}"
    )


def _run_inputs(shape: Shape) -> str:
    at = shape.at
    return (
        f"SELECT {dobject_columns(at)}, i.run_id AS parent_id FROM projection.run_inputs i "
        "JOIN projection.dobjects d ON d.id = i.dobject_id "
        f"WHERE {all_of('i.run_id = ANY($1::uuid[])', input_edge('i', 'd', at))} "
        "ORDER BY i.loaded_at, d.id"
    )


def _run_outputs(shape: Shape) -> str:
    at = shape.at
    return (
        # every dobject of which the run produced a version (docs/reference/versions.md)
        f"SELECT {dobject_columns(at)}, w.run_id AS parent_id "
        "FROM (SELECT DISTINCT v.run_id, v.dobject_id FROM projection.dobject_versions v "
        f"WHERE {all_of('v.run_id = ANY($1::uuid[])', version_created('v', at))}) w "
        "JOIN projection.dobjects d ON d.id = w.dobject_id ORDER BY d.created_at, d.id"
    )


def _dobject_targets(shape: Shape) -> str:
    at = shape.at
    return (
        f"SELECT {run_columns(at)}, i.dobject_id AS parent_id FROM projection.run_inputs i "
        "JOIN projection.runs r ON r.id = i.run_id "
        "JOIN projection.dobjects d ON d.id = i.dobject_id "
        f"WHERE {all_of('i.dobject_id = ANY($1::uuid[])', input_edge('i', 'd', at))} "
        "ORDER BY r.first_seen_at, r.id"
    )


def _transform_runs(shape: Shape) -> str:
    at = shape.at
    return (
        f"SELECT {run_columns(at)}, r.transform_id AS parent_id FROM projection.runs r "
        f"WHERE {all_of('r.transform_id = ANY($1::uuid[])', started_by('r', at))} "
        "ORDER BY r.first_seen_at, r.id"
    )


def _upstream_runs(shape: Shape) -> str:
    """Every writer (by then) of the run's shown inputs (by then)."""
    at = shape.at
    where = all_of("i.run_id = ANY($1::uuid[])", input_edge("i", "d", at), version_created("v", at))
    return (
        f"SELECT DISTINCT {run_columns(at)}, i.run_id AS parent_id FROM projection.run_inputs i "
        "JOIN projection.dobject_versions v ON v.dobject_id = i.dobject_id "
        "JOIN projection.runs r ON r.id = v.run_id "
        f"WHERE {where} ORDER BY r.first_seen_at, r.id"
    )


def _downstream_runs(shape: Shape) -> str:
    """The loaders (by then) of what the run wrote (by then)."""
    at = shape.at
    where = all_of("v.run_id = ANY($1::uuid[])", input_edge("i", "d", at), version_created("v", at))
    return (
        f"SELECT DISTINCT {run_columns(at)}, v.run_id AS parent_id "
        "FROM projection.dobject_versions v "
        "JOIN projection.run_inputs i ON i.dobject_id = v.dobject_id "
        "JOIN projection.runs r ON r.id = i.run_id "
        f"WHERE {where} ORDER BY r.first_seen_at, r.id"
    )


def _run_children(shape: Shape) -> str:
    at = shape.at
    return (
        f"SELECT {run_columns(at)}, r.parent_run_id AS parent_id FROM projection.runs r "
        f"WHERE {all_of('r.parent_run_id = ANY($1::uuid[])', started_by('r', at))} "
        "ORDER BY r.first_seen_at, r.id"
    )


# by id: one row (or none) per key
RUNS: Final = Relation(RunRow.of, _runs)
DOBJECTS: Final = Relation(DObjectRow.of, _dobjects)
TRANSFORMS: Final = Relation(TransformRow.of, _transforms)
# grouped: the related rows of each key, in the statement's order
RUN_INPUTS: Final = Relation(DObjectRow.of, _run_inputs)
RUN_OUTPUTS: Final = Relation(DObjectRow.of, _run_outputs)
DOBJECT_TARGETS: Final = Relation(RunRow.of, _dobject_targets)
TRANSFORM_RUNS: Final = Relation(RunRow.of, _transform_runs)
UPSTREAM_RUNS: Final = Relation(RunRow.of, _upstream_runs)
DOWNSTREAM_RUNS: Final = Relation(RunRow.of, _downstream_runs)
RUN_CHILDREN: Final = Relation(RunRow.of, _run_children)

_TRANSFORM_NAME: Final = (
    "SELECT t.name FROM projection.runs r JOIN projection.transforms t ON t.id = r.transform_id "
    "WHERE r.id = $1"
)


async def by_id(
    db: RequestDb, relation: Relation[R], keys: Sequence[Key], at: datetime | None = None
) -> list[R | None]:
    """The row of each key (None where there is none), as of `at` when given."""
    shape, params = shaped(at, "$2")
    row = relation.row
    found = {
        record["id"]: row(record, at)
        for record in await db.rows(relation.sql(shape), list(keys), *params)
    }
    return [found.get(k) for k in keys]


async def grouped(
    db: RequestDb, relation: Relation[R], keys: Sequence[Key], at: datetime | None = None
) -> list[list[R]]:
    """The related rows of each key, in the statement's order, as of `at` when given."""
    shape, params = shaped(at, "$2")
    row = relation.row
    groups: dict[Key, list[R]] = defaultdict(list)
    for record in await db.rows(relation.sql(shape), list(keys), *params):
        groups[record["parent_id"]].append(row(record, at))
    return [groups.get(k, []) for k in keys]


async def transform_name_of_run(database: Database, run_id: uuid.UUID) -> str | None:
    """The name of the run's transform, None while the projection does not know it."""
    found = await database.fetch(_TRANSFORM_NAME, run_id)
    return found[0]["name"] if found else None
