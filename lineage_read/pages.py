"""Keyset pages of runs, dobjects and transforms: page sizes, opaque cursors, and the
one statement each page costs (plus a count, only when `totalCount` is selected).

A cursor is base64 of `[kind, iso timestamp, id]`: the sort key of the last row of a
page. The kind is inside so a runs cursor handed to `dobjects` is refused, not misread.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Generic, TypeVar

from graphql_api.errors import bad_input
from graphql_api.inputs import DObjectFilter, RunFilter, TransformFilter, TransformType
from graphql_api.types import DObject, PageInfo, Run, Transform
from lineage_read import as_of
from lineage_read.database import Record, RequestDb
from lineage_read.filters import Sql, dobject_condition, run_condition, transform_condition
from lineage_read.rows import (
    DOBJECT_COLUMNS,
    RUN_COLUMNS,
    TRANSFORM_COLUMNS,
    dobject_of,
    run_of,
    transform_of,
)

T = TypeVar("T")
MAX_PAGE: Final = 1000

# The inputs of the page's run (alias r) as one column of dobjects rows; an input the
# run produced itself is stored but never shown (tables.py).
_RUN_INPUTS_COLUMN: Final = (
    "ARRAY(SELECT d FROM projection.run_inputs i "
    "JOIN projection.dobjects d ON d.id = i.dobject_id "
    "WHERE i.run_id = r.id AND d.source_run_id IS DISTINCT FROM i.run_id "
    "ORDER BY i.loaded_at, d.id) AS inputs"
)


def page_size(first: int | None) -> int:
    """`first` checked and capped: None -> 100, over 1,000 -> 1,000, negative refused."""
    if first is None:
        return 100
    if first < 0:
        raise bad_input(f"first must be >= 0, got {first}")
    return min(first, MAX_PAGE)


def encode_cursor(kind: str, at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([kind, at.isoformat(), str(row_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(kind: str, cursor: str) -> tuple[datetime, uuid.UUID]:
    """The keyset of a cursor made by `encode_cursor(kind, ...)`; else BAD_USER_INPUT."""
    key: tuple[datetime, uuid.UUID] | None
    try:
        got_kind, at, row_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        key = (datetime.fromisoformat(at), uuid.UUID(row_id))
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        key = None
    if key is None or got_kind != kind or key[0].tzinfo is None:
        raise bad_input(f"after: {cursor!r} is not a cursor of this list")
    return key


@dataclass
class Page(Generic[T]):
    nodes: list[T]
    rows: list[Record]
    page_info: PageInfo
    count: Callable[[], Awaitable[int]]


@dataclass
class RunsPage:
    """A page of runs with what came in the same statement: their transforms, and their
    inputs by run id when they were asked for."""

    page: Page[Run]
    transforms: list[Transform]
    inputs: dict[uuid.UUID, list[DObject]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Keyset:
    kind: str  # the cursor's kind
    source: str  # FROM clause of the page
    count_source: str  # FROM clause of its count
    time: str  # the keyset's time column (then the id), e.g. "r.first_seen_at"
    id: str


async def _keyset_page(
    db: RequestDb,
    sql: Sql,
    keyset: _Keyset,
    *,
    columns: str,
    where: str,
    first: int | None,
    after: str | None,
    build: Callable[[Record], T],
) -> Page[T]:
    """One page of `SELECT columns FROM source WHERE where` in keyset order. Fetches one
    row more than asked to know whether a next page exists; the total count is a
    separate statement, run only when `totalCount` is selected."""
    size = page_size(first)
    where_params = list(sql.params)
    page_where = where
    if after is not None:
        at, row_id = decode_cursor(keyset.kind, after)
        page_where = (
            f"({where}) AND ({keyset.time}, {keyset.id}) > ({sql.param(at)}, {sql.param(row_id)})"
        )
    limit = sql.param(size + 1)
    rows = list(
        await db.rows(
            f"SELECT {columns} FROM {keyset.source} WHERE {page_where} "
            f"ORDER BY {keyset.time}, {keyset.id} LIMIT {limit}",
            *sql.params,
        )
    )
    kept = rows[:size]
    end = None
    if kept:
        last = kept[-1]
        end = encode_cursor(keyset.kind, last[_name(keyset.time)], last[_name(keyset.id)])

    async def count() -> int:
        found = await db.rows(
            f"SELECT count(*) AS n FROM {keyset.count_source} WHERE {where}", *where_params
        )
        return int(found[0]["n"])

    page_info = PageInfo(has_next_page=len(rows) > size, end_cursor=end)
    return Page([build(r) for r in kept], kept, page_info, count)


def _stamped(build: Callable[[Record], T], at: datetime) -> Callable[[Record], T]:
    """`build`, marking each object as built as of `at` (its relations follow it)."""

    def stamped(row: Record) -> T:
        item = build(row)
        item.as_of = at  # type: ignore[attr-defined]
        return item

    return stamped


def _name(column: str) -> str:
    """The name a qualified column has in the result ("r.id" -> "id")."""
    return column.rpartition(".")[2]


_RUNS: Final = _Keyset(
    kind="run",
    source="projection.runs r LEFT JOIN projection.transforms t ON t.id = r.transform_id",
    count_source="projection.runs r",
    time="r.first_seen_at",
    id="r.id",
)
_RUNS_ALONE: Final = _Keyset(
    kind="run",
    source="projection.runs r",
    count_source="projection.runs r",
    time="r.first_seen_at",
    id="r.id",
)
_DOBJECTS_ALONE: Final = _Keyset(
    kind="dobject",
    source="projection.dobjects d",
    count_source="projection.dobjects d",
    time="d.created_at",
    id="d.id",
)
_DOBJECTS: Final = _Keyset(
    kind="dobject",
    source="projection.dobjects d LEFT JOIN projection.runs r ON r.id = d.source_run_id",
    count_source="projection.dobjects d",
    time="d.created_at",
    id="d.id",
)


async def runs_page(
    db: RequestDb,
    filter: RunFilter | None,
    first: int | None,
    after: str | None,
    *,
    with_inputs: bool,
    at: datetime | None = None,
) -> RunsPage:
    """Runs matching `filter`, oldest first. The transform comes with each run, and the
    inputs when asked for: the usual question ("which run made this, from what") is
    then one statement. As of `at` when given: the runs that existed then, as they
    were (their relations then come from the loaders of that instant)."""
    sql = Sql()
    if at is not None:
        instant = sql.param(at)
        where = f"{as_of.run_exists('r', instant)} AND {run_condition(sql, filter, 'r', instant)}"
        page = await _keyset_page(
            db,
            sql,
            _RUNS_ALONE,
            columns=as_of.run_columns(instant),
            where=where,
            first=first,
            after=after,
            build=_stamped(run_of, at),
        )
        return RunsPage(page, [])
    columns = f"{RUN_COLUMNS}, t AS transform"
    if with_inputs:
        columns = f"{columns}, {_RUN_INPUTS_COLUMN}"
    page = await _keyset_page(
        db,
        sql,
        _RUNS,
        columns=columns,
        where=run_condition(sql, filter, "r"),
        first=first,
        after=after,
        build=run_of,
    )
    transforms = [
        transform_of(row["transform"]) for row in page.rows if row["transform"] is not None
    ]
    found = RunsPage(page, transforms)
    if with_inputs:
        found.inputs = {row["id"]: [dobject_of(d) for d in row["inputs"]] for row in page.rows}
    return found


async def dobjects_page(
    db: RequestDb,
    filter: DObjectFilter | None,
    first: int | None,
    after: str | None,
    at: datetime | None = None,
) -> tuple[Page[DObject], list[Run]]:
    """DObjects matching `filter`, oldest first, and their source runs (a page of
    dobjects usually shows them; they come in the same statement). As of `at` when
    given: the dobjects that existed then (their sources come from the loaders)."""
    sql = Sql()
    if at is not None:
        instant = sql.param(at)
        where = (
            f"{as_of.dobject_exists('d', instant)} AND "
            f"{dobject_condition(sql, filter, 'd', instant)}"
        )
        page = await _keyset_page(
            db,
            sql,
            _DOBJECTS_ALONE,
            columns=as_of.dobject_columns(instant),
            where=where,
            first=first,
            after=after,
            build=_stamped(dobject_of, at),
        )
        return page, []
    page = await _keyset_page(
        db,
        sql,
        _DOBJECTS,
        columns=f"{DOBJECT_COLUMNS}, r AS source",
        where=dobject_condition(sql, filter, "d"),
        first=first,
        after=after,
        build=dobject_of,
    )
    return page, [run_of(row["source"]) for row in page.rows if row["source"] is not None]


async def transforms_page(
    db: RequestDb,
    type_: TransformType,
    filter: TransformFilter | None,
    first: int | None,
    after: str | None,
) -> Page[Transform]:
    """Transforms of one type matching `filter`, oldest first."""
    sql = Sql()
    where = f"t.type = {sql.param(type_.value)} AND {transform_condition(sql, filter, 't')}"
    keyset = _Keyset(
        kind=type_.value,
        source="projection.transforms t",
        count_source="projection.transforms t",
        time="t.registered_at",
        id="t.id",
    )
    return await _keyset_page(
        db,
        sql,
        keyset,
        columns=f"{TRANSFORM_COLUMNS}, t.registered_at",
        where=where,
        first=first,
        after=after,
        build=transform_of,
    )
