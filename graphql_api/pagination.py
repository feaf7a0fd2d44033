"""Ids, page sizes and opaque keyset cursors.

A cursor is base64 of `[kind, iso timestamp, id]`: the sort key of the last row of a
page. The kind is inside so a runs cursor handed to `dobjects` is refused, not misread.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Final

from graphql_api.errors import bad_input

MAX_PAGE: Final = 1000


def parse_id(value: str, what: str = "id") -> uuid.UUID:
    """A UUID from an `ID` argument; a malformed one is the client's error."""
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise bad_input(f"{what} {value!r} is not a valid id (a UUID)") from None


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
    try:
        got_kind, at, row_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if got_kind != kind:
            raise ValueError(got_kind)
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError(at)
        return parsed, uuid.UUID(row_id)
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        raise bad_input(f"after: {cursor!r} is not a cursor of this list") from None
