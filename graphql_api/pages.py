"""Keyset pages of runs, dobjects and transforms under a compiled filter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, FromClause, Select, func, select, tuple_
from sqlalchemy.engine import Row

from graphql_api.context import RequestDb
from graphql_api.pagination import decode_cursor, encode_cursor, page_size
from graphql_api.types import PageInfo

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    nodes: list[T]
    page_info: PageInfo
    count: Callable[[], Awaitable[int]]


async def keyset_page(
    db: RequestDb, *, kind: str, table: FromClause, stmt: Select[Any], where: ColumnElement[bool],
    order: tuple[ColumnElement[Any], ColumnElement[Any]], first: int | None, after: str | None,
    build: Callable[[Row[Any]], T], key_of: Callable[[Row[Any]], tuple[Any, Any]],
) -> Page[T]:
    """One page of `stmt` filtered by `where`, ordered by the keyset `order` (time, id).

    Fetches one row more than asked to know whether a next page exists; the total
    count is a separate statement run only when `totalCount` is selected."""
    size = page_size(first)
    page_where = where
    if after is not None:
        at, row_id = decode_cursor(kind, after)
        page_where = where & (tuple_(*order) > tuple_(at, row_id))
    rows: Sequence[Row[Any]] = await db.rows(
        stmt.where(page_where).order_by(*order).limit(max(size, 0) + 1))
    has_next = len(rows) > size
    kept = rows[:size]
    end = encode_cursor(kind, *key_of(kept[-1])) if kept else None

    async def count() -> int:
        sub = select(func.count()).select_from(table).where(where)
        return int((await db.rows(sub))[0][0])

    return Page([build(r) for r in kept], PageInfo(has_next_page=has_next, end_cursor=end), count)


__all__ = ["Page", "keyset_page"]
