"""Keyset pages of runs, dobjects and transforms under a compiled filter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from graphql import FieldNode
from strawberry.types import Info

from graphql_api.context import RequestDb
from graphql_api.filters import Sql
from graphql_api.pagination import decode_cursor, encode_cursor, page_size
from graphql_api.types import PageInfo

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    nodes: list[T]
    rows: list[Any]
    page_info: PageInfo
    count: Callable[[], Awaitable[int]]


async def keyset_page(
    db: RequestDb,
    sql: Sql,
    *,
    kind: str,
    columns: str,
    source: str,
    where: str,
    order: tuple[str, str],
    first: int | None,
    after: str | None,
    build: Callable[[Any], T],
    count_source: str,
) -> Page[T]:
    """One page of `SELECT columns FROM source WHERE where`, keyset-ordered by `order`
    (time, id). Fetches one row more than asked to know whether a next page exists; the
    total count is a separate statement, run only when `totalCount` is selected."""
    size = page_size(first)
    where_params = list(sql.params)
    page_where = where
    if after is not None:
        at, row_id = decode_cursor(kind, after)
        page_where = (
            f"({where}) AND ({order[0]}, {order[1]}) > ({sql.param(at)}, {sql.param(row_id)})"
        )
    limit = sql.param(size + 1)
    rows = list(
        await db.rows(
            f"SELECT {columns} FROM {source} WHERE {page_where} "
            f"ORDER BY {order[0]}, {order[1]} LIMIT {limit}",
            *sql.params,
        )
    )
    has_next = len(rows) > size
    kept = rows[:size]
    end = None
    if kept:
        last = kept[-1]
        end = encode_cursor(kind, last[_index(columns, order[0])], last[0])

    async def count() -> int:
        found = await db.rows(f"SELECT count(*) FROM {count_source} WHERE {where}", *where_params)
        return int(found[0][0])

    return Page(
        [build(r) for r in kept], kept, PageInfo(has_next_page=has_next, end_cursor=end), count
    )


def selects(info: Info, *path: str) -> bool:
    """Whether the field's selection asks for `path` (e.g. "nodes", "inputs") in plain
    fields; one behind a fragment or directive counts as not asked (its loader runs)."""
    nodes = list(info._raw_info.field_nodes)
    for name in path:
        nodes = [
            sel
            for node in nodes
            if node.selection_set is not None
            for sel in node.selection_set.selections
            if isinstance(sel, FieldNode) and sel.name.value == name and not sel.directives
        ]
        if not nodes:
            return False
    return True


def _index(columns: str, column: str) -> int:
    """Position of `column` in a column list (the keyset's time column)."""
    return [c.strip() for c in columns.split(",")].index(column)
