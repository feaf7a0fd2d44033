"""What the read model refuses, in its own words: the faces (GraphQL, HTTP) map each
kind to their own error codes and statuses."""

from __future__ import annotations

from datetime import datetime


class ReadError(Exception):
    """A question the read model cannot answer as asked; `message` is for the asker."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(ReadError):
    """The question itself is malformed: a cursor, a page size, an id."""


class NotFound(ReadError):
    """The question names something the projection does not hold (as of its instant)."""


class TooComplex(ReadError):
    """The statement ran past the statement timeout: the asker must ask for less."""


def not_found(kind: str, id: object, at: datetime | None = None) -> NotFound:
    """No `kind` ("RUN", "DOBJECT") with this id (as of `at`, when given)."""
    when = f" as of {at.isoformat()}" if at is not None else ""
    return NotFound(f"no {kind.lower()} with id {id}{when}")
