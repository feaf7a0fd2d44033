"""The shape of a read statement: what its text depends on besides the relation it reads.

Every read statement of the package is built once per shape from one template (no twin
statements), and cached by it; the values (an instant) are bound as parameters. Today's
projection is the shape whose fields are all None. A new dimension of the read side
(dataset versions, for one) is a new field here, None meaning what the statements read
today, and each builder reads it where it changes the text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final


@dataclass(frozen=True)
class Shape:
    # the placeholder the `asOf` instant is bound to, e.g. "$2::timestamptz"; None: now
    at: str | None = None


TODAY: Final = Shape()


def shaped(at: datetime | None, placeholder: str) -> tuple[Shape, tuple[Any, ...]]:
    """The shape of a statement as of `at` (None: now), with `at` bound to the
    `placeholder`'s position, and the parameters that shape adds."""
    if at is None:
        return TODAY, ()
    return Shape(at=f"{placeholder}::timestamptz"), (at,)


class Statements:
    """One template's statements, built on first use per shape and kept."""

    def __init__(self, build: Callable[[Shape], str]) -> None:
        self._build = build
        self._texts: dict[Shape, str] = {}

    def __getitem__(self, shape: Shape) -> str:
        text = self._texts.get(shape)
        if text is None:
            text = self._texts[shape] = self._build(shape)
        return text
