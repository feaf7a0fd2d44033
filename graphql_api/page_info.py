"""A page's place in its list, shared by every connection (the types' own and the
graph's)."""

from __future__ import annotations

import strawberry

from lineage_read import pages


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def from_row(cls, row: pages.PageInfo) -> PageInfo:
        return cls(has_next_page=row.has_next_page, end_cursor=row.end_cursor)
