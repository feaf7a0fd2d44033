"""asOf's pieces that need no database: the DateTime scalar and the dated column lists."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from graphql import GraphQLError

from graphql_api.date_time import parse_rfc_3339
from lineage_read import as_of
from lineage_read.rows import DOBJECT_COLUMNS, RUN_COLUMNS


def _names(columns: str) -> list[str]:
    """The result names of a column list ("r.id" -> "id", "... AS name" -> "name")."""
    parts = re.split(r",\s*(?![^()]*\))", columns)
    return [re.split(r"\s+AS\s+|\.", p.strip())[-1] for p in parts]


def test_dated_columns_name_what_the_mappers_read() -> None:
    # run_of and dobject_of read rows by name: as of an instant, the same names must come
    assert _names(as_of.run_columns("$2")) == _names(RUN_COLUMNS)
    assert _names(as_of.dobject_columns("$2")) == _names(DOBJECT_COLUMNS)


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2026-03-01T00:00:05Z", datetime(2026, 3, 1, 0, 0, 5, tzinfo=UTC)),
        ("2026-03-01t02:00:05+02:00", datetime(2026, 3, 1, 0, 0, 5, tzinfo=UTC)),
        ("2026-03-01 00:00:05.1234567-00:30", datetime(2026, 3, 1, 0, 30, 5, 123456, tzinfo=UTC)),
    ],
)
def test_rfc_3339_with_an_offset_is_an_instant(text: str, instant: datetime) -> None:
    parsed = parse_rfc_3339(text)
    assert parsed == instant
    assert parsed.utcoffset() is not None


@pytest.mark.parametrize(
    "text",
    ["2026-03-01T00:00:05", "2026-03-01", "20260301T000005Z", "2026-13-01T00:00:00Z", "now", 5],
)
def test_anything_else_is_refused(text: object) -> None:
    with pytest.raises(GraphQLError):
        parse_rfc_3339(text)


def test_offsets_are_kept() -> None:
    parsed = parse_rfc_3339("2026-03-01T00:00:05+05:30")
    assert parsed.utcoffset() == timezone(timedelta(hours=5, minutes=30)).utcoffset(None)
