"""The DateTime scalar: serialized as ISO 8601, parsed only from RFC 3339 with an offset.

Strawberry's default parses with dateutil's isoparse, which also takes dates alone,
week dates and times without an offset; an instant without an offset means nothing
to `asOf` (whose local time?), so the API refuses it as BAD_USER_INPUT."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final

import strawberry
from graphql import GraphQLError

_RFC_3339: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})"
)


def parse_rfc_3339(value: object) -> datetime:
    """The instant of an RFC 3339 date-time string; GraphQLError (BAD_USER_INPUT) if not."""
    if not isinstance(value, str) or _RFC_3339.fullmatch(value) is None:
        raise GraphQLError(
            f"DateTime must be RFC 3339 with an offset (2026-01-31T12:00:00Z), got {value!r}"
        )
    text = value.upper().replace(" ", "T")
    head, dot, rest = text.partition(".")
    if dot:  # Python keeps microseconds: cut longer fractions rather than refuse them
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"
    try:
        return datetime.fromisoformat(text)
    except ValueError as error:  # e.g. month 13
        raise GraphQLError(f"DateTime {value!r} is not a valid date-time: {error}") from None


DATE_TIME_SCALAR: Final = strawberry.scalar(
    name="DateTime",
    description="An instant, RFC 3339 with an offset (2026-01-31T12:00:00+00:00).",
    serialize=datetime.isoformat,
    parse_value=parse_rfc_3339,
)
