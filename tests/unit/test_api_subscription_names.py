"""A subscription's cache of run -> transform name is bounded (it must not grow with the
number of runs a long-lived subscription sees)."""

from __future__ import annotations

from typing import cast

from graphql_api.subscriptions import KNOWN_RUNS, TransformNames
from lineage_read.database import Database


async def test_the_cache_keeps_only_the_latest_runs() -> None:
    names = TransformNames(cast(Database, None), limit=10)  # never asked: all known
    for i in range(25):
        names.learn(f"run-{i}", f"pipeline {i}")
    assert len(names) == 10
    assert await names.of("run-24") == "pipeline 24"
    assert await names.of("run-15") == "pipeline 15"
    names.learn("run-15", "pipeline 15")  # seen again: now the latest
    names.learn("run-25", "pipeline 25")
    assert len(names) == 10
    assert await names.of("run-15") == "pipeline 15"


def test_the_default_bound_is_finite() -> None:
    assert 0 < KNOWN_RUNS <= 100_000
