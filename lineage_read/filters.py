"""Filters -> SQL: each nested filter becomes an EXISTS subquery with bound parameters.

The whole filter tree compiles into the WHERE clause of one statement; nothing is
filtered in Python. Values never enter the SQL text: each becomes a `$n` parameter
(asyncpg), and every nesting level gets a fresh table alias so each subquery
correlates with exactly its parent.

With `at` (the `$n` placeholder of an `asOf` instant) every condition means the
projection as it stood then (as_of.py): a run's name, transform and parent count
from its RunStarted, its status from its RunFinished, an edge from its event.

The filters are plain values, already parsed (ids are UUIDs): each face builds them
from its own inputs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from lineage_read import as_of
from lineage_read.rows import RunStatus, TransformType


@dataclass(frozen=True)
class DObjectFilter:
    """DObjects matching every given field; nested filters follow edges."""

    id: uuid.UUID | None = None
    name: str | None = None
    suffix: str | None = None
    hash: str | None = None
    source: RunFilter | None = None  # the run that produced it
    target: RunFilter | None = None  # some run that loaded it as an input


@dataclass(frozen=True)
class RunFilter:
    """Runs matching every given field; nested filters follow edges."""

    id: uuid.UUID | None = None
    name: str | None = None
    status: RunStatus | None = None
    transform_type: TransformType | None = None
    transform_name: str | None = None
    transform_version: str | None = None
    output: DObjectFilter | None = None  # some dobject this run produced
    input: DObjectFilter | None = None  # some dobject this run loaded
    parent: RunFilter | None = None  # the run that started this one


@dataclass(frozen=True)
class TransformFilter:
    """Transforms matching every given field."""

    id: uuid.UUID | None = None
    name: str | None = None
    version: str | None = None
    run: RunFilter | None = None  # some run of it


class Sql:
    """Parameters and aliases of one statement being built."""

    def __init__(self) -> None:
        self.params: list[Any] = []
        self._aliases = 0

    def param(self, value: Any) -> str:
        self.params.append(value)
        return f"${len(self.params)}"

    def alias(self, prefix: str) -> str:
        self._aliases += 1
        return f"{prefix}{self._aliases}"


def _all(conditions: list[str]) -> str:
    return " AND ".join(conditions) if conditions else "true"


def run_condition(sql: Sql, f: RunFilter | None, r: str, at: str | None = None) -> str:
    """The condition on the runs row aliased `r` that `f` means (as of `at`, if given)."""
    if f is None:
        return "true"
    c: list[str] = []
    if f.id is not None:
        c.append(f"{r}.id = {sql.param(f.id)}")
    # name and transform come with the RunStarted: as of an instant, only once it occurred
    started = [] if at is None else [as_of.started(r, at)]
    if f.name is not None:
        c += [*started, f"{r}.name = {sql.param(f.name)}"]
    if f.status is not None:
        c.append(f"{as_of.status(r, at)} = {sql.param(f.status.value)}")
    if any(v is not None for v in (f.transform_type, f.transform_name, f.transform_version)):
        t = sql.alias("t")
        c += started
        tc = [f"{t}.id = {r}.transform_id"]
        if f.transform_type is not None:
            tc.append(f"{t}.type = {sql.param(f.transform_type.value)}")
        if f.transform_name is not None:
            tc.append(f"{t}.name = {sql.param(f.transform_name)}")
        if f.transform_version is not None:
            tc.append(f"{t}.version = {sql.param(f.transform_version)}")
        c.append(f"EXISTS (SELECT 1 FROM projection.transforms {t} WHERE {_all(tc)})")
    if f.output is not None:
        d, w = sql.alias("d"), sql.alias("w")
        # an output is a dobject of which the run produced any version
        linked = as_of.all_of(f"{w}.run_id = {r}.id", as_of.version_created(w, at))
        c.append(
            f"EXISTS (SELECT 1 FROM projection.dobject_versions {w} JOIN projection.dobjects "
            f"{d} ON {d}.id = {w}.dobject_id WHERE {linked} AND "
            f"{dobject_condition(sql, f.output, d, at)})"
        )
    if f.input is not None:
        i, d = sql.alias("i"), sql.alias("d")
        # an input the run produced itself is no input (tables.py)
        c.append(
            f"EXISTS (SELECT 1 FROM projection.run_inputs {i} JOIN projection.dobjects {d}"
            f" ON {d}.id = {i}.dobject_id WHERE {i}.run_id = {r}.id AND "
            f"{as_of.input_edge(i, d, at)} AND "
            f"{dobject_condition(sql, f.input, d, at)})"
        )
    if f.parent is not None:
        c.append(_parent_condition(sql, f.parent, r, at))
    return _all(c)


def _parent_condition(sql: Sql, f: RunFilter, r: str, at: str | None) -> str:
    """The run aliased `r` was started by a run matching `f`."""
    p = sql.alias("r")
    linked = as_of.all_of(f"{p}.id = {r}.parent_run_id", as_of.started_by(r, at))
    return (
        f"EXISTS (SELECT 1 FROM projection.runs {p} WHERE {linked} AND "
        f"{run_condition(sql, f, p, at)})"
    )


def dobject_condition(sql: Sql, f: DObjectFilter | None, d: str, at: str | None = None) -> str:
    """The condition on the dobjects row aliased `d` that `f` means (as of `at`, if given)."""
    if f is None:
        return "true"
    c: list[str] = []
    if f.id is not None:
        c.append(f"{d}.id = {sql.param(f.id)}")
    if f.name is not None:
        c.append(f"{d}.name = {sql.param(f.name)}")
    if f.suffix is not None:
        c.append(f"{d}.suffix = {sql.param(f.suffix)}")
    if f.hash is not None:
        c.append(f"{d}.hash = {sql.param(f.hash)}")
    if f.source is not None:
        r, w = sql.alias("r"), sql.alias("w")
        # any version's run: "the run that produced output.bam" finds every writer
        linked = as_of.all_of(f"{w}.dobject_id = {d}.id", as_of.version_created(w, at))
        c.append(
            f"EXISTS (SELECT 1 FROM projection.dobject_versions {w} JOIN projection.runs {r} "
            f"ON {r}.id = {w}.run_id WHERE {linked} AND "
            f"{run_condition(sql, f.source, r, at)})"
        )
    if f.target is not None:
        i, r = sql.alias("i"), sql.alias("r")
        c.append(
            f"EXISTS (SELECT 1 FROM projection.run_inputs {i} JOIN projection.runs {r}"
            f" ON {r}.id = {i}.run_id WHERE {i}.dobject_id = {d}.id AND "
            f"{as_of.input_edge(i, d, at)} AND "
            f"{run_condition(sql, f.target, r, at)})"
        )
    return _all(c)


def transform_condition(sql: Sql, f: TransformFilter | None, t: str) -> str:
    """The condition on the transforms row aliased `t` that `f` means."""
    if f is None:
        return "true"
    c: list[str] = []
    if f.id is not None:
        c.append(f"{t}.id = {sql.param(f.id)}")
    if f.name is not None:
        c.append(f"{t}.name = {sql.param(f.name)}")
    if f.version is not None:
        c.append(f"{t}.version = {sql.param(f.version)}")
    if f.run is not None:
        r = sql.alias("r")
        c.append(
            f"EXISTS (SELECT 1 FROM projection.runs {r} WHERE {r}.transform_id = {t}.id"
            f" AND {run_condition(sql, f.run, r)})"
        )
    return _all(c)
