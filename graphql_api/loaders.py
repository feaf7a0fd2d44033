"""Per-request DataLoaders: one statement per relation per batch of parents
(lineage_read.relations), the read model's rows turned into GraphQL objects here.
Loaders are created on first use, so a request pays only for the relations it asks for.

A request that asks about the past (`asOf`) gets one more set of loaders per instant
(`Loaders.at`), reading the same relations as of that instant; the rows they read
carry the instant, and so do the objects built from them, so their own relations
follow it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from graphql_api.types import DObject, DObjectVersion, InputVersion, Run, Transform
from lineage_read import openlineage, relations, versions
from lineage_read.database import RequestDb
from lineage_read.relations import Relation
from lineage_read.rows import DObjectRow, RunRow, TransformRow

Key = uuid.UUID
T = TypeVar("T", Run, DObject, Transform)
R = TypeVar("R", RunRow, DObjectRow, TransformRow)


class Loaders:
    """The loaders of one request (as of now), or of one instant of it (`at`)."""

    def __init__(self, db: RequestDb, instant: datetime | None = None) -> None:
        self.db = db
        self.instant = instant
        self._past: dict[datetime, Loaders] = {}

    def at(self, instant: datetime | None) -> Loaders:
        """The loaders as of `instant` (None: these), one set per instant per request."""
        if instant is None or instant == self.instant:
            return self
        found = self._past.get(instant)
        if found is None:
            found = self._past[instant] = Loaders(self.db, instant)
        return found

    def _by_id(self, relation: Relation[R], build: Callable[[R], T]) -> DataLoader[Key, T | None]:
        async def load(keys: Sequence[Key]) -> list[T | None]:
            found = await relations.by_id(self.db, relation, keys, self.instant)
            return [None if row is None else build(row) for row in found]

        return DataLoader(load)

    def _grouped(self, relation: Relation[R], build: Callable[[R], T]) -> DataLoader[Key, list[T]]:
        async def load(keys: Sequence[Key]) -> list[list[T]]:
            found = await relations.grouped(self.db, relation, keys, self.instant)
            return [[build(row) for row in group] for group in found]

        return DataLoader(load)

    @cached_property
    def run(self) -> DataLoader[Key, Run | None]:
        return self._by_id(relations.RUNS, Run.from_row)

    @cached_property
    def dobject(self) -> DataLoader[Key, DObject | None]:
        return self._by_id(relations.DOBJECTS, DObject.from_row)

    @cached_property
    def transform(self) -> DataLoader[Key, Transform | None]:
        return self._by_id(relations.TRANSFORMS, Transform.from_row)

    @cached_property
    def run_inputs(self) -> DataLoader[Key, list[DObject]]:
        return self._grouped(relations.RUN_INPUTS, DObject.from_row)

    @cached_property
    def run_outputs(self) -> DataLoader[Key, list[DObject]]:
        return self._grouped(relations.RUN_OUTPUTS, DObject.from_row)

    @cached_property
    def dobject_targets(self) -> DataLoader[Key, list[Run]]:
        return self._grouped(relations.DOBJECT_TARGETS, Run.from_row)

    @cached_property
    def transform_runs(self) -> DataLoader[Key, list[Run]]:
        return self._grouped(relations.TRANSFORM_RUNS, Run.from_row)

    @cached_property
    def upstream_runs(self) -> DataLoader[Key, list[Run]]:
        return self._grouped(relations.UPSTREAM_RUNS, Run.from_row)

    @cached_property
    def downstream_runs(self) -> DataLoader[Key, list[Run]]:
        return self._grouped(relations.DOWNSTREAM_RUNS, Run.from_row)

    @cached_property
    def run_children(self) -> DataLoader[Key, list[Run]]:
        return self._grouped(relations.RUN_CHILDREN, Run.from_row)

    # --- dataset versions (lineage_read.versions reads as of the instant itself) -------

    @cached_property
    def version(self) -> DataLoader[Key, DObjectVersion | None]:
        async def load(keys: Sequence[Key]) -> list[DObjectVersion | None]:
            found = await versions.versions(self.db, keys, self.instant)
            return [None if r is None else DObjectVersion.from_row(r) for r in found]

        return DataLoader(load)

    @cached_property
    def run_output_versions(self) -> DataLoader[Key, list[DObjectVersion]]:
        async def load(keys: Sequence[Key]) -> list[list[DObjectVersion]]:
            groups = await versions.run_output_versions(self.db, keys, self.instant)
            return [[DObjectVersion.from_row(r) for r in g] for g in groups]

        return DataLoader(load)

    @cached_property
    def run_input_versions(self) -> DataLoader[Key, list[InputVersion]]:
        async def load(keys: Sequence[Key]) -> list[list[InputVersion]]:
            groups = await versions.run_input_versions(self.db, keys, self.instant)
            return [[InputVersion.from_row(r) for r in g] for g in groups]

        return DataLoader(load)

    @cached_property
    def stale_inputs(self) -> DataLoader[Key, list[InputVersion]]:
        async def load(keys: Sequence[Key]) -> list[list[InputVersion]]:
            groups = await versions.stale_inputs(self.db, keys, self.instant)
            return [[InputVersion.from_row(r) for r in g] for g in groups]

        return DataLoader(load)

    @cached_property
    def current_version(self) -> DataLoader[Key, versions.CurrentVersion]:
        """A dobject's current version and staleness: one statement per page of them."""

        async def load(keys: Sequence[Key]) -> list[versions.CurrentVersion]:
            return await versions.current_versions(self.db, keys, self.instant)

        return DataLoader(load)

    @cached_property
    def run_facets(self) -> DataLoader[Key, Any]:
        async def load(keys: Sequence[Key]) -> list[Any]:
            facets = await openlineage.run_facets(self.db, keys)
            return [facets.get(k) for k in keys]

        return DataLoader(load)

    async def runs_by_id(self, keys: Sequence[Key]) -> list[Run | None]:
        """Many runs in one statement, without a loader's future per key (an impact may
        list thousands)."""
        found = await relations.by_id(self.db, relations.RUNS, keys, self.instant)
        return [None if row is None else Run.from_row(row) for row in found]

    async def dobjects_by_id(self, keys: Sequence[Key]) -> list[DObject | None]:
        """Many dobjects in one statement, without a loader's future per key."""
        found = await relations.by_id(self.db, relations.DOBJECTS, keys, self.instant)
        return [None if row is None else DObject.from_row(row) for row in found]

    def prime_runs(self, items: Sequence[Run]) -> None:
        for item in items:
            self.run.prime(uuid.UUID(item.id), item)

    def prime_transforms(self, items: Sequence[Transform]) -> None:
        for item in items:
            self.transform.prime(uuid.UUID(item.id), item)

    def prime_run_inputs(self, inputs: dict[Key, list[DObject]]) -> None:
        for run_id, items in inputs.items():
            self.run_inputs.prime(run_id, items)
