"""Per-request DataLoaders: one statement per relation per batch of parents
(lineage_read.relations). Loaders are created on first use, so a request pays only
for the relations it asks for.

A request that asks about the past (`asOf`) gets one more set of loaders per instant
(`Loaders.at`), reading the same relations as of that instant (lineage_read.as_of);
the objects they build carry the instant, so their own relations follow it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cached_property
from types import ModuleType
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from graphql_api.types import DObject, Run, Transform
from lineage_read import as_of, openlineage, relations
from lineage_read.database import RequestDb
from lineage_read.relations import by_id, grouped
from lineage_read.rows import dobject_of, run_of, transform_of

Key = uuid.UUID
T = TypeVar("T", Run, DObject, Transform)


class Loaders:
    """The loaders of one request (as of now), or of one instant of it (`at`)."""

    def __init__(self, db: RequestDb, instant: datetime | None = None) -> None:
        self.db = db
        self.instant = instant
        # the statements: today's, or the same relations as of the instant ($2)
        self._sql: ModuleType = relations if instant is None else as_of
        self._params: tuple[Any, ...] = () if instant is None else (instant,)
        self._past: dict[datetime, Loaders] = {}

    def at(self, instant: datetime | None) -> Loaders:
        """The loaders as of `instant` (None: these), one set per instant per request."""
        if instant is None or instant == self.instant:
            return self
        found = self._past.get(instant)
        if found is None:
            found = self._past[instant] = Loaders(self.db, instant)
        return found

    def _build(self, build: Callable[[Any], T]) -> Callable[[Any], T]:
        """`build`, stamping each object with the instant its relations are read at."""
        instant = self.instant
        if instant is None:
            return build

        def stamped(row: Any) -> T:
            item = build(row)
            item.as_of = instant
            return item

        return stamped

    def _by_id(self, sql: str, build: Callable[[Any], T]) -> DataLoader[Key, T | None]:
        build = self._build(build)
        return DataLoader(lambda keys: by_id(self.db, keys, sql, build, *self._params))

    def _grouped(self, sql: str, build: Callable[[Any], T]) -> DataLoader[Key, list[T]]:
        build = self._build(build)
        return DataLoader(lambda keys: grouped(self.db, keys, sql, build, *self._params))

    @cached_property
    def run(self) -> DataLoader[Key, Run | None]:
        return self._by_id(self._sql.RUNS, run_of)

    @cached_property
    def dobject(self) -> DataLoader[Key, DObject | None]:
        return self._by_id(self._sql.DOBJECTS, dobject_of)

    @cached_property
    def transform(self) -> DataLoader[Key, Transform | None]:
        return self._by_id(self._sql.TRANSFORMS, transform_of)

    @cached_property
    def run_inputs(self) -> DataLoader[Key, list[DObject]]:
        return self._grouped(self._sql.RUN_INPUTS, dobject_of)

    @cached_property
    def run_outputs(self) -> DataLoader[Key, list[DObject]]:
        return self._grouped(self._sql.RUN_OUTPUTS, dobject_of)

    @cached_property
    def dobject_targets(self) -> DataLoader[Key, list[Run]]:
        return self._grouped(self._sql.DOBJECT_TARGETS, run_of)

    @cached_property
    def transform_runs(self) -> DataLoader[Key, list[Run]]:
        return self._grouped(self._sql.TRANSFORM_RUNS, run_of)

    @cached_property
    def upstream_runs(self) -> DataLoader[Key, list[Run]]:
        return self._grouped(self._sql.UPSTREAM_RUNS, run_of)

    @cached_property
    def downstream_runs(self) -> DataLoader[Key, list[Run]]:
        return self._grouped(self._sql.DOWNSTREAM_RUNS, run_of)

    @cached_property
    def run_children(self) -> DataLoader[Key, list[Run]]:
        return self._grouped(self._sql.RUN_CHILDREN, run_of)

    @cached_property
    def run_facets(self) -> DataLoader[Key, Any]:
        async def load(keys: Sequence[Key]) -> list[Any]:
            facets = await openlineage.run_facets(self.db, keys)
            return [facets.get(k) for k in keys]

        return DataLoader(load)

    async def runs_by_id(self, keys: Sequence[Key]) -> list[Run | None]:
        """Many runs in one statement, without a loader's future per key (an impact may
        list thousands)."""
        return await by_id(self.db, keys, self._sql.RUNS, self._build(run_of), *self._params)

    async def dobjects_by_id(self, keys: Sequence[Key]) -> list[DObject | None]:
        """Many dobjects in one statement, without a loader's future per key."""
        build = self._build(dobject_of)
        return await by_id(self.db, keys, self._sql.DOBJECTS, build, *self._params)

    def prime_runs(self, items: Sequence[Run]) -> None:
        for item in items:
            self.run.prime(uuid.UUID(item.id), item)

    def prime_transforms(self, items: Sequence[Transform]) -> None:
        for item in items:
            self.transform.prime(uuid.UUID(item.id), item)

    def prime_run_inputs(self, inputs: dict[Key, list[DObject]]) -> None:
        for run_id, items in inputs.items():
            self.run_inputs.prime(run_id, items)
