"""Request parsing for the Marquez-shaped routes: Marquez's error shape, paging, enums
(case-insensitive), times and node ids, parsed as Marquez 0.50.0 parses them."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse, Response

MAX_LIMIT: Final = 1000  # our own maximum: more is taken as this


class MarquezError(Exception):
    """An answer in Marquez's error shape, {"code": N, "message": ...}."""

    def __init__(self, status: int, message: str, allow: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.allow = allow

    def response(self) -> Response:
        headers = {"Allow": self.allow} if self.allow else None
        return JSONResponse(
            {"code": self.status, "message": self.message},
            status_code=self.status,
            headers=headers,
        )


def not_found(message: str) -> MarquezError:
    return MarquezError(404, message)


def bad(message: str) -> MarquezError:
    return MarquezError(400, message)


def integer(query: QueryParams, name: str, default: int, *, minimum: int = 0) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad(f"query param {name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise bad(f"query param {name} must be greater than or equal to {minimum}")
    return value


def paging(query: QueryParams, default_limit: int = 100) -> tuple[int, int]:
    """(limit, offset): Marquez's defaults, a limit over ours taken as ours."""
    return min(integer(query, "limit", default_limit), MAX_LIMIT), integer(query, "offset", 0)


def choice(
    query: QueryParams, name: str, allowed: tuple[str, ...], default: str | None
) -> str | None:
    """An enum parameter, any case; its canonical (upper case) value."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().upper()
    if value not in allowed:
        raise bad(f"query param {name} must be one of {', '.join(allowed)}, got {raw!r}")
    return value


def boolean(query: QueryParams, name: str, default: bool) -> bool:
    return choice(query, name, ("TRUE", "FALSE"), "TRUE" if default else "FALSE") == "TRUE"


def instant(query: QueryParams, name: str, default: str) -> datetime:
    raw = query.get(name) or default
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise bad(f"query param {name} must be an ISO 8601 time, got {raw!r}") from None
    if value.tzinfo is None:
        raise bad(f"query param {name} needs a time zone offset, got {raw!r}")
    return value


def run_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise bad(f"{value!r} is not a run id (a UUID)") from None


@dataclass(frozen=True)
class NodeId:
    """A parsed Marquez node id: `dataset:<ns>:<name>`, `datasetField:<ns>:<ds>:<field>`,
    `job:<ns>:<name>` or `run:<uuid>`, each optionally `#<version>`."""

    kind: str  # dataset | datasetField | job | run
    namespace: str
    name: str
    field: str | None
    version: str | None
    value: str


_KINDS: Final = {"dataset": 3, "datasetField": 4, "job": 3, "run": 2}
# A colon that starts `//` (scheme://authority) or a port (host:port) is part of a name.
_NAME_COLON: Final = re.compile(r":(?!//|\d+)")


def node_id(value: str | None) -> NodeId:
    if not value:
        raise bad("query param nodeId is required")
    kind = value.split(":", 1)[0]
    if kind not in _KINDS:
        raise bad(f"node ID ({value}) must start with 'dataset', 'datasetField', 'job' or 'run'")
    expected = _KINDS[kind]
    parts = re.split(r"[:#]", value)
    if len(parts) < expected:
        raise bad(f"Expected NodeId of type {kind} with {expected} parts. Got: {value}")
    if len(parts) > expected:
        parts, start = [], 0
        for match in _NAME_COLON.finditer(value):
            if len(parts) == expected - 1:
                break
            parts.append(value[start : match.start()])
            start = match.end()
        if len(parts) < expected - 1:
            raise bad(f"Expected NodeId of type {kind} with {expected} parts. Got: {value}")
        parts.append(value[start:])
    last, _, version = parts[-1].partition("#")
    parts[-1] = last
    if kind == "run":
        run_uuid(parts[1])
        return NodeId(kind, "", parts[1], None, version or None, value)
    if not all(parts[1:]):
        raise bad(f"node ID ({value}) has an empty part")
    field = parts[3] if kind == "datasetField" else None
    return NodeId(kind, parts[1], parts[2], field, version or None, value)
