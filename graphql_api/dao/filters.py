"""Filters -> SQL: each nested filter becomes an EXISTS subquery with bound parameters.

The whole filter tree compiles into the WHERE clause of one statement; nothing is
filtered in Python. Values never enter the SQL text: each becomes a `$n` parameter
(asyncpg), and every nesting level gets a fresh table alias so each subquery
correlates with exactly its parent.
"""

from __future__ import annotations

import enum
import uuid
from typing import Any

from graphql_api.inputs import DObjectFilter, RunFilter, TransformFilter, parse_id


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


def _equal(sql: Sql, alias: str, values: dict[str, Any]) -> list[str]:
    """`alias.column = $n` for each value given (not None), in order."""
    return [f"{alias}.{column} = {sql.param(v)}" for column, v in values.items() if v is not None]


def _id(value: str | None, what: str) -> uuid.UUID | None:
    return None if value is None else parse_id(value, what)


def _enum(value: enum.Enum | None) -> Any:
    return None if value is None else value.value


def run_condition(sql: Sql, f: RunFilter | None, r: str) -> str:
    """The condition on the runs row aliased `r` that `f` means."""
    if f is None:
        return "true"
    c = _equal(sql, r, {"id": _id(f.id, "run id"), "name": f.name, "status": _enum(f.status)})
    if any(v is not None for v in (f.transform_type, f.transform_name, f.transform_version)):
        t = sql.alias("t")
        tc = [f"{t}.id = {r}.transform_id"]
        tc += _equal(
            sql,
            t,
            {
                "type": _enum(f.transform_type),
                "name": f.transform_name,
                "version": f.transform_version,
            },
        )
        c.append(f"EXISTS (SELECT 1 FROM projection.transforms {t} WHERE {_all(tc)})")
    if f.output is not None:
        d = sql.alias("d")
        c.append(
            f"EXISTS (SELECT 1 FROM projection.dobjects {d} WHERE {d}.source_run_id = "
            f"{r}.id AND {dobject_condition(sql, f.output, d)})"
        )
    if f.input is not None:
        i, d = sql.alias("i"), sql.alias("d")
        # an input the run produced itself is no input (tables.py)
        c.append(
            f"EXISTS (SELECT 1 FROM projection.run_inputs {i} JOIN projection.dobjects {d}"
            f" ON {d}.id = {i}.dobject_id WHERE {i}.run_id = {r}.id AND "
            f"{d}.source_run_id IS DISTINCT FROM {r}.id AND "
            f"{dobject_condition(sql, f.input, d)})"
        )
    return _all(c)


def dobject_condition(sql: Sql, f: DObjectFilter | None, d: str) -> str:
    """The condition on the dobjects row aliased `d` that `f` means."""
    if f is None:
        return "true"
    c = _equal(
        sql,
        d,
        {"id": _id(f.id, "dobject id"), "name": f.name, "suffix": f.suffix, "hash": f.hash},
    )
    if f.source is not None:
        r = sql.alias("r")
        c.append(
            f"EXISTS (SELECT 1 FROM projection.runs {r} WHERE {r}.id = {d}.source_run_id"
            f" AND {run_condition(sql, f.source, r)})"
        )
    if f.target is not None:
        i, r = sql.alias("i"), sql.alias("r")
        c.append(
            f"EXISTS (SELECT 1 FROM projection.run_inputs {i} JOIN projection.runs {r}"
            f" ON {r}.id = {i}.run_id WHERE {i}.dobject_id = {d}.id AND "
            f"{d}.source_run_id IS DISTINCT FROM {i}.run_id AND "
            f"{run_condition(sql, f.target, r)})"
        )
    return _all(c)


def transform_condition(sql: Sql, f: TransformFilter | None, t: str) -> str:
    """The condition on the transforms row aliased `t` that `f` means."""
    if f is None:
        return "true"
    c = _equal(sql, t, {"id": _id(f.id, "transform id"), "name": f.name, "version": f.version})
    if f.run is not None:
        r = sql.alias("r")
        c.append(
            f"EXISTS (SELECT 1 FROM projection.runs {r} WHERE {r}.transform_id = {t}.id"
            f" AND {run_condition(sql, f.run, r)})"
        )
    return _all(c)
