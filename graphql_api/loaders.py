"""Per-request DataLoaders: one statement per relation per batch of parents."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.engine import Row
from strawberry.dataloader import DataLoader

from graphql_api.context import RequestDb
from graphql_api.openlineage.facets import run_facets
from graphql_api.queries import (
    dobject_of,
    run_of,
    select_dobjects,
    select_runs,
    select_transforms,
    transform_of,
)
from graphql_api.types import DObject, Run, Transform
from lineage_core.db.tables import dobjects, run_inputs, runs, transforms

T = TypeVar("T")
Key = uuid.UUID


class Loaders:
    """The loaders of one request, built when the request starts."""

    def __init__(self, db: RequestDb) -> None:
        self.db = db
        self.run: DataLoader[Key, Run | None] = DataLoader(self._runs)
        self.dobject: DataLoader[Key, DObject | None] = DataLoader(self._dobjects)
        self.transform: DataLoader[Key, Transform | None] = DataLoader(self._transforms)
        self.run_inputs: DataLoader[Key, list[DObject]] = DataLoader(self._run_inputs)
        self.run_outputs: DataLoader[Key, list[DObject]] = DataLoader(self._run_outputs)
        self.dobject_targets: DataLoader[Key, list[Run]] = DataLoader(self._dobject_targets)
        self.transform_runs: DataLoader[Key, list[Run]] = DataLoader(self._transform_runs)
        self.upstream_runs: DataLoader[Key, list[Run]] = DataLoader(self._upstream_runs)
        self.downstream_runs: DataLoader[Key, list[Run]] = DataLoader(self._downstream_runs)
        self.run_facets: DataLoader[Key, Any] = DataLoader(self._run_facets)

    def prime_runs(self, items: Sequence[Run]) -> None:
        for item in items:
            self.run.prime(uuid.UUID(item.id), item)

    async def _by_id(self, keys: Sequence[Key], stmt: Select[Any],
                     build: Callable[[Row[Any]], T]) -> list[T | None]:
        found = {row[0]: build(row) for row in await self.db.rows(stmt)}
        return [found.get(k) for k in keys]

    async def _grouped(self, keys: Sequence[Key], stmt: Select[Any],
                       build: Callable[[Row[Any]], T]) -> list[list[T]]:
        """Rows whose last column is the parent key, grouped per key in row order."""
        groups: dict[Key, list[T]] = defaultdict(list)
        for row in await self.db.rows(stmt):
            groups[row[-1]].append(build(row))
        return [groups.get(k, []) for k in keys]

    async def _runs(self, keys: Sequence[Key]) -> list[Run | None]:
        return await self._by_id(keys, select_runs().where(runs.c.id.in_(keys)), run_of)

    async def _dobjects(self, keys: Sequence[Key]) -> list[DObject | None]:
        stmt = select_dobjects().where(dobjects.c.id.in_(keys))
        return await self._by_id(keys, stmt, dobject_of)

    async def _transforms(self, keys: Sequence[Key]) -> list[Transform | None]:
        stmt = select_transforms().where(transforms.c.id.in_(keys))
        return await self._by_id(keys, stmt, transform_of)

    async def _run_inputs(self, keys: Sequence[Key]) -> list[list[DObject]]:
        stmt = (select_dobjects().add_columns(run_inputs.c.run_id)
                .join_from(dobjects, run_inputs, run_inputs.c.dobject_id == dobjects.c.id)
                .where(run_inputs.c.run_id.in_(keys),
                       dobjects.c.source_run_id.is_distinct_from(run_inputs.c.run_id))
                .order_by(run_inputs.c.loaded_at, dobjects.c.id))
        return await self._grouped(keys, stmt, dobject_of)

    async def _run_outputs(self, keys: Sequence[Key]) -> list[list[DObject]]:
        stmt = (select_dobjects().add_columns(dobjects.c.source_run_id)
                .where(dobjects.c.source_run_id.in_(keys))
                .order_by(dobjects.c.created_at, dobjects.c.id))
        return await self._grouped(keys, stmt, dobject_of)

    async def _dobject_targets(self, keys: Sequence[Key]) -> list[list[Run]]:
        stmt = (select_runs().add_columns(run_inputs.c.dobject_id)
                .join_from(runs, run_inputs, run_inputs.c.run_id == runs.c.id)
                .join(dobjects, dobjects.c.id == run_inputs.c.dobject_id)
                .where(run_inputs.c.dobject_id.in_(keys),
                       dobjects.c.source_run_id.is_distinct_from(run_inputs.c.run_id))
                .order_by(runs.c.first_seen_at, runs.c.id))
        return await self._grouped(keys, stmt, run_of)

    async def _transform_runs(self, keys: Sequence[Key]) -> list[list[Run]]:
        stmt = (select_runs().add_columns(runs.c.transform_id)
                .where(runs.c.transform_id.in_(keys))
                .order_by(runs.c.first_seen_at, runs.c.id))
        return await self._grouped(keys, stmt, run_of)

    async def _upstream_runs(self, keys: Sequence[Key]) -> list[list[Run]]:
        # producers of the run's inputs: run_inputs(run=key) -> dobject -> source run
        stmt = (select_runs().add_columns(run_inputs.c.run_id).distinct()
                .join_from(runs, dobjects, dobjects.c.source_run_id == runs.c.id)
                .join(run_inputs, run_inputs.c.dobject_id == dobjects.c.id)
                .where(run_inputs.c.run_id.in_(keys), runs.c.id != run_inputs.c.run_id)
                .order_by(runs.c.first_seen_at, runs.c.id))
        return await self._grouped(keys, stmt, run_of)

    async def _downstream_runs(self, keys: Sequence[Key]) -> list[list[Run]]:
        # loaders of the run's outputs: dobject(source=key) -> run_inputs -> run
        ri_dobject = dobjects.alias("produced")
        stmt = (select_runs().add_columns(ri_dobject.c.source_run_id).distinct()
                .join_from(runs, run_inputs, run_inputs.c.run_id == runs.c.id)
                .join(ri_dobject, ri_dobject.c.id == run_inputs.c.dobject_id)
                .where(ri_dobject.c.source_run_id.in_(keys),
                       runs.c.id != ri_dobject.c.source_run_id)
                .order_by(runs.c.first_seen_at, runs.c.id))
        return await self._grouped(keys, stmt, run_of)

    async def _run_facets(self, keys: Sequence[Key]) -> list[Any]:
        facets = await self.db.using(lambda conn: run_facets(conn, keys))
        return [facets.get(k) for k in keys]


__all__ = ["Loaders"]
