"""Dataset versions read from the projection (docs/reference/versions.md): one statement per
relation for a batch of parent ids, now or as of an instant (bound last, when given).

The rules are SQL expressions of version_sql.py; nothing is decided in Python.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Final

from lineage_read import version_sql as vs
from lineage_read.database import Record, RequestDb

Key = uuid.UUID
_AT: Final = "$2::timestamptz"


@dataclass(frozen=True, slots=True)
class VersionRow:
    id: uuid.UUID
    dobject_id: uuid.UUID
    run_id: uuid.UUID
    number: int
    created_at: datetime
    size: int | None
    hash: str | None
    label: str | None
    fields_json: str | None
    stale: bool
    as_of: datetime | None = None


@dataclass(frozen=True, slots=True)
class InputVersionRow:
    dobject_id: uuid.UUID
    version_id: uuid.UUID | None
    loaded_at: datetime
    as_of: datetime | None = None


def _version(row: Record, at: datetime | None) -> VersionRow:
    return VersionRow(
        id=row["id"],
        dobject_id=row["dobject_id"],
        run_id=row["run_id"],
        number=row["number"],
        created_at=row["created_at"],
        size=row["size"],
        hash=row["hash"],
        label=row["label"],
        fields_json=row["fields"],
        stale=row["stale"],
        as_of=at,
    )


def _input(row: Record, at: datetime | None) -> InputVersionRow:
    return InputVersionRow(row["dobject_id"], row["version_id"], row["loaded_at"], at)


def _at(dated: bool) -> str | None:
    return _AT if dated else None


def _exists(v: str, dated: bool) -> str:
    return f"{v}.created_at <= {_AT}" if dated else "true"


@cache
def _statement(name: str, dated: bool) -> str:
    at = _at(dated)
    cols = vs.version_columns("v", at)
    if name == "by_id":
        return f"SELECT {cols} FROM {vs.V} v WHERE v.id = ANY($1::uuid[]) AND {_exists('v', dated)}"
    if name == "run_outputs":
        return (
            f"SELECT {cols}, v.run_id AS parent_id FROM {vs.V} v "
            f"WHERE v.run_id = ANY($1::uuid[]) AND {_exists('v', dated)} "
            "ORDER BY v.created_at, v.id"
        )
    if name == "run_inputs":
        return (
            "SELECT i.run_id AS parent_id, i.dobject_id, i.loaded_at, b.version_id "
            "FROM projection.run_inputs i "
            f"CROSS JOIN LATERAL (SELECT {vs.bound_version('i', at)} AS version_id) b "
            f"WHERE i.run_id = ANY($1::uuid[]) AND {vs.input_shown('i', at)} "
            "ORDER BY i.loaded_at, i.dobject_id"
        )
    if name == "stale_inputs":
        return (
            "SELECT v.id AS parent_id, s.* FROM projection.dobject_versions v "
            f"CROSS JOIN LATERAL ({vs.stale_inputs('v.run_id', at)}) s "
            f"WHERE v.id = ANY($1::uuid[]) AND {_exists('v', dated)} "
            "ORDER BY s.loaded_at, s.dobject_id"
        )
    if name == "current" and at is None:
        # the current version's run is the dobject's source (the projector keeps both)
        # (a LATERAL with LIMIT: an EXISTS here may be planned as one hashed pass over
        # every run's inputs)
        return (
            "SELECT k.id, d.current_version_id AS version_id, s.stale IS NOT NULL AS stale "
            "FROM unnest($1::uuid[]) AS k(id) LEFT JOIN projection.dobjects d ON d.id = k.id "
            "LEFT JOIN LATERAL (SELECT true AS stale "
            f"FROM ({vs.stale_inputs('d.source_run_id', at)}) x LIMIT 1) s ON true"
        )
    if name == "current":
        # a dobject's current version and whether it is stale, in one statement per page
        return (
            "SELECT k.id, c.version_id, "
            f"coalesce((SELECT {vs.stale('cv.run_id', at)} FROM {vs.V} cv "
            "WHERE cv.id = c.version_id), false) AS stale "
            "FROM unnest($1::uuid[]) AS k(id) "
            f"CROSS JOIN LATERAL (SELECT {vs.current_version('k.id', at)} AS version_id) c"
        )
    raise KeyError(name)


def _params(keys: Sequence[Key], at: datetime | None) -> list[Any]:
    return [list(keys)] if at is None else [list(keys), at]


async def versions(
    db: RequestDb, keys: Sequence[Key], at: datetime | None = None
) -> list[VersionRow | None]:
    """The version of each id (None where there is none, or none yet at `at`)."""
    rows = await db.rows(_statement("by_id", at is not None), *_params(keys, at))
    found = {r["id"]: _version(r, at) for r in rows}
    return [found.get(k) for k in keys]


async def run_output_versions(
    db: RequestDb, keys: Sequence[Key], at: datetime | None = None
) -> list[list[VersionRow]]:
    """The versions each run produced (its outputs' versions), oldest first."""
    rows = await db.rows(_statement("run_outputs", at is not None), *_params(keys, at))
    return _grouped(keys, rows, lambda r: _version(r, at))


async def run_input_versions(
    db: RequestDb, keys: Sequence[Key], at: datetime | None = None
) -> list[list[InputVersionRow]]:
    """Each run's shown inputs with the version each read, in the order of Run.inputs."""
    rows = await db.rows(_statement("run_inputs", at is not None), *_params(keys, at))
    return _grouped(keys, rows, lambda r: _input(r, at))


async def stale_inputs(
    db: RequestDb, keys: Sequence[Key], at: datetime | None = None
) -> list[list[InputVersionRow]]:
    """For each version, the inputs of its run that no longer read the current version."""
    rows = await db.rows(_statement("stale_inputs", at is not None), *_params(keys, at))
    return _grouped(keys, rows, lambda r: _input(r, at))


@dataclass(frozen=True, slots=True)
class CurrentVersion:
    version_id: uuid.UUID | None  # None: no run has written the dobject (by then)
    stale: bool


async def current_versions(
    db: RequestDb, keys: Sequence[Key], at: datetime | None = None
) -> list[CurrentVersion]:
    """Each dobject's current version id and whether it is stale."""
    rows = await db.rows(_statement("current", at is not None), *_params(keys, at))
    found = {r["id"]: CurrentVersion(r["version_id"], bool(r["stale"])) for r in rows}
    return [found.get(k, CurrentVersion(None, False)) for k in keys]


def _grouped(keys: Sequence[Key], rows: Sequence[Record], build: Any) -> list[list[Any]]:
    groups: dict[Key, list[Any]] = defaultdict(list)
    for row in rows:
        groups[row["parent_id"]].append(build(row))
    return [groups.get(k, []) for k in keys]


def _page_statement(dated: bool, after: bool) -> str:
    keyset = " AND (v.created_at, v.id) < ($3::timestamptz, $4::uuid)" if after else ""
    at = f"${5 if after else 3}::timestamptz" if dated else None
    when = f" AND v.created_at <= {at}" if at else ""
    return (
        f"SELECT {vs.version_columns('v', at)} FROM {vs.V} v "
        f"WHERE v.dobject_id = $1::uuid{when}{keyset} "
        "ORDER BY v.created_at DESC, v.id DESC LIMIT $2::int"
    )


async def dobject_versions_page(
    db: RequestDb,
    dobject_id: Key,
    size: int,
    after: tuple[datetime, uuid.UUID] | None,
    at: datetime | None = None,
) -> tuple[list[VersionRow], bool]:
    """Up to `size` versions of a dobject, newest first, after the keyset `after`; and
    whether more follow."""
    params: list[Any] = [dobject_id, size + 1]
    if after is not None:
        params += list(after)
    if at is not None:
        params.append(at)
    rows = await db.rows(_page_statement(at is not None, after is not None), *params)
    return [_version(r, at) for r in rows[:size]], len(rows) > size


async def count_versions(db: RequestDb, dobject_id: Key, at: datetime | None = None) -> int:
    when = " AND created_at <= $2::timestamptz" if at is not None else ""
    params: list[Any] = [dobject_id] if at is None else [dobject_id, at]
    rows = await db.rows(
        f"SELECT count(*) AS n FROM {vs.V} WHERE dobject_id = $1::uuid{when}", *params
    )
    return int(rows[0]["n"])
