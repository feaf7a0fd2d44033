"""Errors the SDK raises. Each message says what went wrong and what to type next."""

from __future__ import annotations


class LineageError(Exception):
    """Base class of every error raised by `producer_sdk`."""


class ServiceUnreachable(LineageError):
    """The GraphQL API could not be reached."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(
            f"no lineage service reachable at {url} ({reason}).\n"
            "Start one with `lineage up` (it records its endpoints under LINEAGE_HOME so the SDK "
            "finds it), or point the SDK at a running one with LINEAGE_API_URL=http://host:port."
        )
        self.url = url


class UnknownPipeline(LineageError):
    """`ln.Run(pipeline_name=...)` names a pipeline that nobody registered."""

    def __init__(self, name: str, version: str | None, api_url: str) -> None:
        which = f"{name!r} version {version!r}" if version else repr(name)
        self.add_line = f"ln.add(lns.Pipeline(name={name!r}, v={(version or '1')!r}))"
        super().__init__(
            f"no pipeline {which} is registered at {api_url}. Register it first:\n"
            f"    {self.add_line}"
        )
        self.name = name


class NoResultFound(LineageError):
    """`.one()` found no row."""


class MultipleResultsFound(LineageError):
    """`.one()` found more than one row."""


class NoRunError(LineageError):
    """A record needs a run and there is neither an explicit one nor `ln.context.run`."""


class EventTooLarge(LineageError):
    """An event would exceed the service's message limit; nothing of the call was sent."""


class QueryError(LineageError):
    """A select/join chain the API cannot answer, or an error answered by the API."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(f"{message} [{code}]" if code else message)
        self.code = code


class ProjectionLag(QueryError):
    """The service did not catch up with this process's events within its 5 s limit."""


class Unauthenticated(QueryError):
    """The API wants a bearer token: set LINEAGE_API_TOKEN."""


def error_text(exc: BaseException) -> str:
    """How a failed run's error reads: `ValueError: bad input` (at most 4,096 characters)."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text[:4096]
