"""Per-request DataLoaders: one statement per relation per batch of parents.

Loaders are created on first use, so a request pays only for the relations it asks for."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any, Final, TypeVar

from strawberry.dataloader import DataLoader

from graphql_api.context import RequestDb
from graphql_api.openlineage.facets import run_facets
from graphql_api.queries import (
    DOBJECT_COLUMNS,
    RUN_COLUMNS,
    TRANSFORM_COLUMNS,
    dobject_of,
    run_of,
    transform_of,
)
from graphql_api.types import DObject, Run, Transform

T = TypeVar("T")
Key = uuid.UUID

_RUNS: Final = f"SELECT {RUN_COLUMNS} FROM projection.runs r WHERE r.id = ANY($1::uuid[])"
_DOBJECTS: Final = (
    f"SELECT {DOBJECT_COLUMNS} FROM projection.dobjects d WHERE d.id = ANY($1::uuid[])"
)
_TRANSFORMS: Final = (
    f"SELECT {TRANSFORM_COLUMNS} FROM projection.transforms t WHERE t.id = ANY($1::uuid[])"
)
# Relations: the parent key is the last column. An input the run produced itself is
# stored but never shown (tables.py).
_RUN_INPUTS: Final = (
    f"SELECT {DOBJECT_COLUMNS}, i.run_id FROM projection.run_inputs i "
    "JOIN projection.dobjects d ON d.id = i.dobject_id "
    "WHERE i.run_id = ANY($1::uuid[]) AND d.source_run_id IS DISTINCT FROM i.run_id "
    "ORDER BY i.loaded_at, d.id"
)
# The same relation for the page's runs (alias r), as one array column of the page.
RUN_INPUTS_COLUMN: Final = (
    f"ARRAY(SELECT ROW({DOBJECT_COLUMNS}) FROM projection.run_inputs i "
    "JOIN projection.dobjects d ON d.id = i.dobject_id "
    "WHERE i.run_id = r.id AND d.source_run_id IS DISTINCT FROM i.run_id "
    "ORDER BY i.loaded_at, d.id)"
)
_RUN_OUTPUTS: Final = (
    f"SELECT {DOBJECT_COLUMNS}, d.source_run_id FROM projection.dobjects d "
    "WHERE d.source_run_id = ANY($1::uuid[]) ORDER BY d.created_at, d.id"
)
_DOBJECT_TARGETS: Final = (
    f"SELECT {RUN_COLUMNS}, i.dobject_id FROM projection.run_inputs i "
    "JOIN projection.runs r ON r.id = i.run_id JOIN projection.dobjects d ON d.id = i.dobject_id "
    "WHERE i.dobject_id = ANY($1::uuid[]) AND d.source_run_id IS DISTINCT FROM i.run_id "
    "ORDER BY r.first_seen_at, r.id"
)
_TRANSFORM_RUNS: Final = (
    f"SELECT {RUN_COLUMNS}, r.transform_id FROM projection.runs r "
    "WHERE r.transform_id = ANY($1::uuid[]) ORDER BY r.first_seen_at, r.id"
)
_UPSTREAM_RUNS: Final = (  # producers of the run's inputs
    f"SELECT DISTINCT {RUN_COLUMNS}, i.run_id FROM projection.run_inputs i "
    "JOIN projection.dobjects d ON d.id = i.dobject_id "
    "JOIN projection.runs r ON r.id = d.source_run_id "
    "WHERE i.run_id = ANY($1::uuid[]) AND r.id <> i.run_id ORDER BY r.first_seen_at, r.id"
)
_DOWNSTREAM_RUNS: Final = (  # loaders of the run's outputs
    f"SELECT DISTINCT {RUN_COLUMNS}, d.source_run_id FROM projection.dobjects d "
    "JOIN projection.run_inputs i ON i.dobject_id = d.id "
    "JOIN projection.runs r ON r.id = i.run_id "
    "WHERE d.source_run_id = ANY($1::uuid[]) AND r.id <> d.source_run_id "
    "ORDER BY r.first_seen_at, r.id"
)


class Loaders:
    """The loaders of one request."""

    def __init__(self, db: RequestDb) -> None:
        self.db = db

    @cached_property
    def run(self) -> DataLoader[Key, Run | None]:
        return DataLoader(lambda keys: self._by_id(keys, _RUNS, run_of))

    @cached_property
    def dobject(self) -> DataLoader[Key, DObject | None]:
        return DataLoader(lambda keys: self._by_id(keys, _DOBJECTS, dobject_of))

    @cached_property
    def transform(self) -> DataLoader[Key, Transform | None]:
        return DataLoader(lambda keys: self._by_id(keys, _TRANSFORMS, transform_of))

    @cached_property
    def run_inputs(self) -> DataLoader[Key, list[DObject]]:
        return DataLoader(lambda keys: self._grouped(keys, _RUN_INPUTS, dobject_of))

    @cached_property
    def run_outputs(self) -> DataLoader[Key, list[DObject]]:
        return DataLoader(lambda keys: self._grouped(keys, _RUN_OUTPUTS, dobject_of))

    @cached_property
    def dobject_targets(self) -> DataLoader[Key, list[Run]]:
        return DataLoader(lambda keys: self._grouped(keys, _DOBJECT_TARGETS, run_of))

    @cached_property
    def transform_runs(self) -> DataLoader[Key, list[Run]]:
        return DataLoader(lambda keys: self._grouped(keys, _TRANSFORM_RUNS, run_of))

    @cached_property
    def upstream_runs(self) -> DataLoader[Key, list[Run]]:
        return DataLoader(lambda keys: self._grouped(keys, _UPSTREAM_RUNS, run_of))

    @cached_property
    def downstream_runs(self) -> DataLoader[Key, list[Run]]:
        return DataLoader(lambda keys: self._grouped(keys, _DOWNSTREAM_RUNS, run_of))

    @cached_property
    def run_facets(self) -> DataLoader[Key, Any]:
        async def load(keys: Sequence[Key]) -> list[Any]:
            facets = await self.db.with_sqlalchemy(lambda conn: run_facets(conn, keys))
            return [facets.get(k) for k in keys]

        return DataLoader(load)

    def prime_runs(self, items: Sequence[Run]) -> None:
        for item in items:
            self.run.prime(uuid.UUID(item.id), item)

    def prime_run_inputs(self, run_id: Key, rows: Sequence[Any]) -> None:
        self.run_inputs.prime(run_id, [dobject_of(row) for row in rows])

    def prime_transforms(self, items: Sequence[Transform]) -> None:
        for item in items:
            self.transform.prime(uuid.UUID(item.id), item)

    async def _by_id(
        self, keys: Sequence[Key], sql: str, build: Callable[[Any], T]
    ) -> list[T | None]:
        found = {row[0]: build(row) for row in await self.db.rows(sql, list(keys))}
        return [found.get(k) for k in keys]

    async def _grouped(
        self, keys: Sequence[Key], sql: str, build: Callable[[Any], T]
    ) -> list[list[T]]:
        groups: dict[Key, list[T]] = defaultdict(list)
        for row in await self.db.rows(sql, list(keys)):
            groups[row[-1]].append(build(row))
        return [groups.get(k, []) for k in keys]
