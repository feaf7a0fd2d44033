"""What the per-request DataLoaders fetch: one statement per relation per batch of
parent ids, grouped by the `parent_id` column. An input a run produced itself is
stored but never shown (tables.py)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

from lineage_read.database import Database, Record, RequestDb
from lineage_read.rows import DOBJECT_COLUMNS, RUN_COLUMNS, TRANSFORM_COLUMNS

T = TypeVar("T")
Key = uuid.UUID

RUNS: Final = f"SELECT {RUN_COLUMNS} FROM projection.runs r WHERE r.id = ANY($1::uuid[])"
DOBJECTS: Final = (
    f"SELECT {DOBJECT_COLUMNS} FROM projection.dobjects d WHERE d.id = ANY($1::uuid[])"
)
TRANSFORMS: Final = (
    f"SELECT {TRANSFORM_COLUMNS} FROM projection.transforms t WHERE t.id = ANY($1::uuid[])"
)
RUN_INPUTS: Final = (
    f"SELECT {DOBJECT_COLUMNS}, i.run_id AS parent_id FROM projection.run_inputs i "
    "JOIN projection.dobjects d ON d.id = i.dobject_id "
    "WHERE i.run_id = ANY($1::uuid[]) AND d.source_run_id IS DISTINCT FROM i.run_id "
    "ORDER BY i.loaded_at, d.id"
)
RUN_OUTPUTS: Final = (
    f"SELECT {DOBJECT_COLUMNS}, d.source_run_id AS parent_id FROM projection.dobjects d "
    "WHERE d.source_run_id = ANY($1::uuid[]) ORDER BY d.created_at, d.id"
)
DOBJECT_TARGETS: Final = (
    f"SELECT {RUN_COLUMNS}, i.dobject_id AS parent_id FROM projection.run_inputs i "
    "JOIN projection.runs r ON r.id = i.run_id JOIN projection.dobjects d ON d.id = i.dobject_id "
    "WHERE i.dobject_id = ANY($1::uuid[]) AND d.source_run_id IS DISTINCT FROM i.run_id "
    "ORDER BY r.first_seen_at, r.id"
)
TRANSFORM_RUNS: Final = (
    f"SELECT {RUN_COLUMNS}, r.transform_id AS parent_id FROM projection.runs r "
    "WHERE r.transform_id = ANY($1::uuid[]) ORDER BY r.first_seen_at, r.id"
)
UPSTREAM_RUNS: Final = (  # producers of the run's inputs
    f"SELECT DISTINCT {RUN_COLUMNS}, i.run_id AS parent_id FROM projection.run_inputs i "
    "JOIN projection.dobjects d ON d.id = i.dobject_id "
    "JOIN projection.runs r ON r.id = d.source_run_id "
    "WHERE i.run_id = ANY($1::uuid[]) AND r.id <> i.run_id ORDER BY r.first_seen_at, r.id"
)
DOWNSTREAM_RUNS: Final = (  # loaders of the run's outputs
    f"SELECT DISTINCT {RUN_COLUMNS}, d.source_run_id AS parent_id FROM projection.dobjects d "
    "JOIN projection.run_inputs i ON i.dobject_id = d.id "
    "JOIN projection.runs r ON r.id = i.run_id "
    "WHERE d.source_run_id = ANY($1::uuid[]) AND r.id <> d.source_run_id "
    "ORDER BY r.first_seen_at, r.id"
)
RUN_CHILDREN: Final = (
    f"SELECT {RUN_COLUMNS}, r.parent_run_id AS parent_id FROM projection.runs r "
    "WHERE r.parent_run_id = ANY($1::uuid[]) ORDER BY r.first_seen_at, r.id"
)
_TRANSFORM_NAME: Final = (
    "SELECT t.name FROM projection.runs r JOIN projection.transforms t ON t.id = r.transform_id "
    "WHERE r.id = $1"
)


async def by_id(
    db: RequestDb, keys: Sequence[Key], sql: str, build: Callable[[Record], T], *params: Any
) -> list[T | None]:
    """The object of each key (None where there is none), from a `WHERE id = ANY($1)`;
    `params` are bound from $2 on."""
    found = {row["id"]: build(row) for row in await db.rows(sql, list(keys), *params)}
    return [found.get(k) for k in keys]


async def grouped(
    db: RequestDb, keys: Sequence[Key], sql: str, build: Callable[[Record], T], *params: Any
) -> list[list[T]]:
    """The related objects of each key, in the statement's order; `params` from $2 on."""
    groups: dict[Key, list[T]] = defaultdict(list)
    for row in await db.rows(sql, list(keys), *params):
        groups[row["parent_id"]].append(build(row))
    return [groups.get(k, []) for k in keys]


async def transform_name_of_run(database: Database, run_id: uuid.UUID) -> str | None:
    """The name of the run's transform, None while the projection does not know it."""
    found = await database.fetch(_TRANSFORM_NAME, run_id)
    return found[0]["name"] if found else None
