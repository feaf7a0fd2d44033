"""Durable watches: create, list, remove, and their deliveries (docs/reference/watches.md).

Used by `lineage watch ...` and the admin GraphQL fields, on an asyncpg connection.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from lineage_core.changes import CHANGE_KINDS, DIRECTIONS, DOBJECT, RUN

MAX_DEPTH: Final = 50
MAX_NAME: Final = 200


class WatchError(ValueError):
    """A watch that cannot be made or found, said plainly."""


@dataclass(frozen=True, slots=True)
class WatchSummary:
    id: int
    name: str
    root_kind: str
    root_id: uuid.UUID
    direction: str
    depth: int
    kinds: tuple[str, ...]
    url: str
    created_at: datetime
    delivered: int
    pending: int
    failed: int
    last_failure_at: datetime | None  # when the latest failed attempt was recorded
    last_failure: str | None  # 'HTTP <status>' when the receiver answered, else the error
    last_failure_delivery: uuid.UUID | None
    last_failure_given_up: bool  # that delivery is failed (no more attempts)

    @property
    def last_failure_status(self) -> int | None:
        """The HTTP status of the last failure, when the receiver answered one."""
        return http_status(self.last_failure)


@dataclass(frozen=True, slots=True)
class Delivery:
    id: uuid.UUID
    kind: str
    sequence: int
    occurred_at: datetime
    distance: int
    dobject_id: uuid.UUID | None
    version_id: uuid.UUID | None
    run_id: uuid.UUID | None
    state: str
    attempts: int
    last_error: str | None
    finished_at: datetime | None


_ROOT_EXISTS: Final = {
    DOBJECT: "SELECT EXISTS (SELECT 1 FROM projection.dobjects WHERE id = $1)",
    RUN: "SELECT EXISTS (SELECT 1 FROM projection.runs WHERE id = $1)",
}
# Under the detector's cursor lock: the detector is between transactions, so its next one
# sees this watch, and the changes it delivers are those applied after this commit.
_LOCK_DETECTOR: Final = "SELECT sequence FROM public.watch_detector WHERE id = 1 FOR UPDATE"
_APPLIED: Final = "SELECT applied_sequence FROM projection.projection_state WHERE id = 1"
_INSERT: Final = """
INSERT INTO public.watches
    (name, root_id, root_kind, direction, depth, kinds, url, secret, from_sequence)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (name) DO NOTHING
RETURNING id
"""
# Every watch (or the one named $1) with its delivery counts and its latest delivery
# that carries an error: `lineage watch list` and the admin GraphQL field `watches`.
LIST_WATCHES: Final = """
SELECT w.id, w.name, w.root_kind, w.root_id, w.direction, w.depth, w.kinds, w.url, w.created_at,
       count(*) FILTER (WHERE d.state = 'delivered') AS delivered,
       count(*) FILTER (WHERE d.state = 'pending') AS pending,
       count(*) FILTER (WHERE d.state = 'failed') AS failed,
       f.at AS last_failure_at, f.error AS last_failure, f.id AS last_failure_delivery,
       coalesce(f.given_up, false) AS last_failure_given_up
  FROM public.watches w
  LEFT JOIN public.watch_deliveries d ON d.watch_id = w.id
  LEFT JOIN LATERAL (
    SELECT x.id, coalesce(x.last_failed_at, x.finished_at) AS at, x.last_error AS error,
           x.state = 'failed' AS given_up
      FROM public.watch_deliveries x
     WHERE x.watch_id = w.id AND x.last_error IS NOT NULL
     ORDER BY x.sequence DESC, x.ordinal DESC LIMIT 1
  ) f ON true
 WHERE $1::text IS NULL OR w.name = $1
 GROUP BY w.id, f.id, f.at, f.error, f.given_up
 ORDER BY w.name
"""
# No foreign key (the schema check compares `public` tables without one): the
# deliveries go in the same statement as their watch.
_REMOVE: Final = """
WITH gone AS (DELETE FROM public.watches WHERE name = $1 RETURNING id),
     deliveries AS (DELETE FROM public.watch_deliveries
                     WHERE watch_id IN (SELECT id FROM gone))
SELECT count(*) FROM gone
"""
_COLUMNS: Final = """d.id, d.kind, d.sequence, d.occurred_at, d.distance, d.dobject_id,
       d.version_id, d.run_id, d.state, d.attempts, d.last_error, d.finished_at"""
_DELIVERIES: Final = f"""
SELECT {_COLUMNS}
  FROM public.watch_deliveries d JOIN public.watches w ON w.id = d.watch_id
 WHERE w.name = $1 AND (NOT $2::bool OR d.state = 'failed')
 ORDER BY d.sequence, d.ordinal
 LIMIT $3::int
"""
# The admin GraphQL field `watchDeliveries`: watch $1's latest $3 deliveries, newest first.
LATEST_DELIVERIES: Final = f"""
SELECT {_COLUMNS}
  FROM public.watch_deliveries d
 WHERE d.watch_id = $1 AND (NOT $2::bool OR d.state = 'failed')
 ORDER BY d.sequence DESC, d.ordinal DESC
 LIMIT $3::int
"""
_EXISTS: Final = "SELECT EXISTS (SELECT 1 FROM public.watches WHERE name = $1)"
WATCH_EXISTS: Final = "SELECT EXISTS (SELECT 1 FROM public.watches WHERE id = $1)"


def http_status(error: str | None) -> int | None:
    """The status of an error recorded as 'HTTP <status>' (projector/watches/delivery.py)."""
    if error is None or not error.startswith("HTTP "):
        return None
    code = error.removeprefix("HTTP ")
    return int(code) if code.isdigit() else None


def checked_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WatchError(f"the URL must be http:// or https:// with a host, not {url!r}")
    return url


def checked_kinds(kinds: list[str] | None) -> tuple[str, ...]:
    if not kinds:
        return CHANGE_KINDS
    unknown = sorted(set(kinds) - set(CHANGE_KINDS))
    if unknown:
        raise WatchError(f"unknown change kinds {unknown}; known: {list(CHANGE_KINDS)}")
    return tuple(k for k in CHANGE_KINDS if k in kinds)


async def create_watch(
    conn: Any,
    name: str,
    *,
    root_kind: str,
    root_id: uuid.UUID,
    url: str,
    direction: str = "UPSTREAM",
    depth: int = 10,
    kinds: list[str] | None = None,
) -> str:
    """Make the watch; returns its signing secret (shown once, kept for signing)."""
    if not name or len(name) > MAX_NAME:
        raise WatchError(f"a watch name has 1 to {MAX_NAME} characters")
    if direction not in DIRECTIONS:
        raise WatchError(f"direction must be one of {list(DIRECTIONS)}, not {direction!r}")
    if not 1 <= depth <= MAX_DEPTH:
        raise WatchError(f"depth must be between 1 and {MAX_DEPTH}, not {depth}")
    wanted = checked_kinds(kinds)
    checked_url(url)
    secret = secrets.token_urlsafe(32)
    async with conn.transaction():
        if not await conn.fetchval(_ROOT_EXISTS[root_kind], root_id):
            raise WatchError(f"no {root_kind.lower()} {root_id} in the projection")
        cursor = await conn.fetchval(_LOCK_DETECTOR)
        from_sequence = max(int(cursor or 0), int(await conn.fetchval(_APPLIED) or 0))
        made = await conn.fetchval(
            _INSERT,
            name,
            root_id,
            root_kind,
            direction,
            depth,
            list(wanted),
            url,
            secret,
            from_sequence,
        )
        if made is None:
            raise WatchError(f"a watch named {name!r} exists")
    return secret


def summary_of(r: Any) -> WatchSummary:
    """A LIST_WATCHES row as a summary."""
    return WatchSummary(
        id=int(r["id"]),
        name=r["name"],
        root_kind=r["root_kind"],
        root_id=r["root_id"],
        direction=r["direction"],
        depth=int(r["depth"]),
        kinds=tuple(r["kinds"]),
        url=r["url"],
        created_at=r["created_at"],
        delivered=int(r["delivered"]),
        pending=int(r["pending"]),
        failed=int(r["failed"]),
        last_failure_at=r["last_failure_at"],
        last_failure=r["last_failure"],
        last_failure_delivery=r["last_failure_delivery"],
        last_failure_given_up=bool(r["last_failure_given_up"]),
    )


def delivery_of(r: Any) -> Delivery:
    """A deliveries row (_DELIVERIES, LATEST_DELIVERIES) as a Delivery."""
    return Delivery(
        id=r["id"],
        kind=r["kind"],
        sequence=int(r["sequence"]),
        occurred_at=r["occurred_at"],
        distance=int(r["distance"]),
        dobject_id=r["dobject_id"],
        version_id=r["version_id"],
        run_id=r["run_id"],
        state=r["state"],
        attempts=int(r["attempts"]),
        last_error=r["last_error"],
        finished_at=r["finished_at"],
    )


async def list_watches(conn: Any, name: str | None = None) -> list[WatchSummary]:
    return [summary_of(r) for r in await conn.fetch(LIST_WATCHES, name)]


async def remove_watch(conn: Any, name: str) -> None:
    if not await conn.fetchval(_REMOVE, name):
        raise WatchError(f"no watch named {name!r}")


async def deliveries(
    conn: Any, name: str, *, failed_only: bool = False, limit: int = 10_000
) -> list[Delivery]:
    if not await conn.fetchval(_EXISTS, name):
        raise WatchError(f"no watch named {name!r}")
    return [delivery_of(r) for r in await conn.fetch(_DELIVERIES, name, failed_only, limit)]
