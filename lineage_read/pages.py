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

from lineage_read import as_of
from lineage_read.database import Record, RequestDb
from lineage_read.errors import BadInput
from lineage_read.filters import (
    DObjectFilter,
    RunFilter,
    Sql,
    TransformFilter,
    dobject_condition,
    run_condition,
    transform_condition,
)
from lineage_read.rows import (
    TRANSFORM_COLUMNS,
    DObjectRow,
    RunRow,
    TransformRow,
    TransformType,
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
        raise BadInput(f"first must be >= 0, got {first}")
    return min(first, MAX_PAGE)


def encode_cursor(kind: str, at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([kind, at.isoformat(), str(row_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(kind: str, cursor: str) -> tuple[datetime, uuid.UUID]:
    """The keyset of a cursor made by `encode_cursor(kind, ...)`; else BadInput."""
    key: tuple[datetime, uuid.UUID] | None
    try:
        got_kind, at, row_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        key = (datetime.fromisoformat(at), uuid.UUID(row_id))
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        key = None
    if key is None or got_kind != kind or key[0].tzinfo is None:
        raise BadInput(f"after: {cursor!r} is not a cursor of this list")
    return key


@dataclass(frozen=True)
class PageInfo:
    has_next_page: bool
    end_cursor: str | None  # the cursor of its last row; None for an empty page


@dataclass(frozen=True)
class Page(Generic[T]):
    nodes: list[T]
    page_info: PageInfo
    count: Callable[[], Awaitable[int]]  # all the rows the filter matches (a statement)


@dataclass(frozen=True)
class RunsPage:
    """A page of runs with what came in the same statement: their transforms, and their
    inputs by run id when they were asked for."""

    page: Page[RunRow]
    transforms: list[TransformRow] = field(default_factory=list)
    inputs: dict[uuid.UUID, list[DObjectRow]] = field(default_factory=dict)


@dataclass(frozen=True)
class DObjectsPage:
    """A page of dobjects with their source runs when they came in the same statement."""

    page: Page[DObjectRow]
    sources: list[RunRow] = field(default_factory=list)


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
) -> tuple[Page[T], list[Record]]:
    """One page of `SELECT columns FROM source WHERE where` in keyset order, and its
    records (for what came joined to them). Fetches one row more than asked to know
    whether a next page exists; the total count is a separate statement, run only
    when `totalCount` is selected."""
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
    return Page([build(r) for r in kept], page_info, count), kept


def _name(column: str) -> str:
    """The name a qualified column has in the result ("r.id" -> "id")."""
    return column.rpartition(".")[2]


# Today a page's rows come with what a page usually shows (a run's transform and inputs,
# a dobject's source) in the same statement; as of an instant the page reads its own
# rows only, and the loaders of that instant read the rest.
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
_DOBJECTS: Final = _Keyset(
    kind="dobject",
    source="projection.dobjects d LEFT JOIN projection.runs r ON r.id = d.source_run_id",
    count_source="projection.dobjects d",
    time="d.created_at",
    id="d.id",
)
_DOBJECTS_ALONE: Final = _Keyset(
    kind="dobject",
    source="projection.dobjects d",
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
    """Runs matching `filter`, oldest first. Today the transform comes with each run,
    and the inputs when asked for: the usual question ("which run made this, from
    what") is then one statement. As of `at` when given: the runs that existed then,
    as they were."""
    sql = Sql()
    instant = None if at is None else sql.param(at)
    where = as_of.all_of(as_of.run_exists("r", instant), run_condition(sql, filter, "r", instant))
    columns = as_of.run_columns(instant)
    joined = at is None
    if joined:
        columns = f"{columns}, t AS transform"
        if with_inputs:
            columns = f"{columns}, {_RUN_INPUTS_COLUMN}"
    page, records = await _keyset_page(
        db,
        sql,
        _RUNS if joined else _RUNS_ALONE,
        columns=columns,
        where=where,
        first=first,
        after=after,
        build=lambda record: RunRow.of(record, at),
    )
    if not joined:
        return RunsPage(page)
    transforms = [TransformRow.of(r["transform"]) for r in records if r["transform"] is not None]
    inputs = {}
    if with_inputs:
        inputs = {r["id"]: [DObjectRow.of(d) for d in r["inputs"]] for r in records}
    return RunsPage(page, transforms, inputs)


async def dobjects_page(
    db: RequestDb,
    filter: DObjectFilter | None,
    first: int | None,
    after: str | None,
    at: datetime | None = None,
) -> DObjectsPage:
    """DObjects matching `filter`, oldest first; today with their source runs (a page of
    dobjects usually shows them; they come in the same statement). As of `at` when
    given: the dobjects that existed then."""
    sql = Sql()
    instant = None if at is None else sql.param(at)
    where = as_of.all_of(
        as_of.dobject_exists("d", instant), dobject_condition(sql, filter, "d", instant)
    )
    joined = at is None
    columns = as_of.dobject_columns(instant)
    page, records = await _keyset_page(
        db,
        sql,
        _DOBJECTS if joined else _DOBJECTS_ALONE,
        columns=f"{columns}, r AS source" if joined else columns,
        where=where,
        first=first,
        after=after,
        build=lambda record: DObjectRow.of(record, at),
    )
    if not joined:
        return DObjectsPage(page)
    return DObjectsPage(page, [RunRow.of(r["source"]) for r in records if r["source"] is not None])


async def transforms_page(
    db: RequestDb,
    type_: TransformType,
    filter: TransformFilter | None,
    first: int | None,
    after: str | None,
) -> Page[TransformRow]:
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
    page, _ = await _keyset_page(
        db,
        sql,
        keyset,
        columns=f"{TRANSFORM_COLUMNS}, t.registered_at",
        where=where,
        first=first,
        after=after,
        build=TransformRow.of,
    )
    return page
