"""Per-request DataLoaders: one statement per relation per batch of parents
(graphql_api.dao.relations). Loaders are created on first use, so a request pays only
for the relations it asks for."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from strawberry.dataloader import DataLoader

from graphql_api.dao import openlineage, relations
from graphql_api.dao.relations import by_id, grouped
from graphql_api.dao.rows import dobject_of, run_of, transform_of
from graphql_api.database import RequestDb
from graphql_api.types import DObject, Run, Transform

Key = uuid.UUID


class Loaders:
    """The loaders of one request."""

    def __init__(self, db: RequestDb) -> None:
        self.db = db

    @cached_property
    def run(self) -> DataLoader[Key, Run | None]:
        return DataLoader(lambda keys: by_id(self.db, keys, relations.RUNS, run_of))

    @cached_property
    def dobject(self) -> DataLoader[Key, DObject | None]:
        return DataLoader(lambda keys: by_id(self.db, keys, relations.DOBJECTS, dobject_of))

    @cached_property
    def transform(self) -> DataLoader[Key, Transform | None]:
        return DataLoader(lambda keys: by_id(self.db, keys, relations.TRANSFORMS, transform_of))

    @cached_property
    def run_inputs(self) -> DataLoader[Key, list[DObject]]:
        return DataLoader(lambda keys: grouped(self.db, keys, relations.RUN_INPUTS, dobject_of))

    @cached_property
    def run_outputs(self) -> DataLoader[Key, list[DObject]]:
        return DataLoader(lambda keys: grouped(self.db, keys, relations.RUN_OUTPUTS, dobject_of))

    @cached_property
    def dobject_targets(self) -> DataLoader[Key, list[Run]]:
        return DataLoader(lambda keys: grouped(self.db, keys, relations.DOBJECT_TARGETS, run_of))

    @cached_property
    def transform_runs(self) -> DataLoader[Key, list[Run]]:
        return DataLoader(lambda keys: grouped(self.db, keys, relations.TRANSFORM_RUNS, run_of))

    @cached_property
    def upstream_runs(self) -> DataLoader[Key, list[Run]]:
        return DataLoader(lambda keys: grouped(self.db, keys, relations.UPSTREAM_RUNS, run_of))

    @cached_property
    def downstream_runs(self) -> DataLoader[Key, list[Run]]:
        return DataLoader(lambda keys: grouped(self.db, keys, relations.DOWNSTREAM_RUNS, run_of))

    @cached_property
    def run_facets(self) -> DataLoader[Key, Any]:
        async def load(keys: Sequence[Key]) -> list[Any]:
            facets = await openlineage.run_facets(self.db, keys)
            return [facets.get(k) for k in keys]

        return DataLoader(load)

    def prime_runs(self, items: Sequence[Run]) -> None:
        for item in items:
            self.run.prime(uuid.UUID(item.id), item)

    def prime_transforms(self, items: Sequence[Transform]) -> None:
        for item in items:
            self.transform.prime(uuid.UUID(item.id), item)

    def prime_run_inputs(self, inputs: dict[Key, list[DObject]]) -> None:
        for run_id, items in inputs.items():
            self.run_inputs.prime(run_id, items)
