"""Lineage changes: which changes an applied event caused, and how a webhook carries one
(docs/reference/watches.md).

Pure functions: the facts about an event (is this the run's first RunStarted, did this
registration create a version, ...) come from SQL (lineage_read/watch_facts.py); what
they mean as changes is decided here, so the rules can be read and tested alone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

NEW_VERSION: Final = "NEW_VERSION"
SCHEMA_CHANGED: Final = "SCHEMA_CHANGED"
BECAME_STALE: Final = "BECAME_STALE"
RUN_STARTED: Final = "RUN_STARTED"
RUN_COMPLETED: Final = "RUN_COMPLETED"
RUN_FAILED: Final = "RUN_FAILED"
CHANGE_KINDS: Final = (
    NEW_VERSION,
    SCHEMA_CHANGED,
    BECAME_STALE,
    RUN_STARTED,
    RUN_COMPLETED,
    RUN_FAILED,
)
DIRECTIONS: Final = ("UPSTREAM", "DOWNSTREAM", "BOTH")
DOBJECT: Final = "DOBJECT"
RUN: Final = "RUN"


@dataclass(frozen=True, slots=True)
class Stale:
    """A dobject whose `stale` turned true at this event, and its current version."""

    dobject_id: uuid.UUID
    version_id: uuid.UUID | None
    run_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What SQL found about one applied raw event."""

    sequence: int
    event_type: str
    occurred_at: datetime
    run_id: uuid.UUID | None
    # RunStarted / RunFinished: no event of the same type of this run came before it
    first_of_run: bool = False
    status: str | None = None  # RunFinished: 'completed' | 'failed'
    # OutputRegistered: the version it registered, if this registration created it
    dobject_id: uuid.UUID | None = None
    new_version_id: uuid.UUID | None = None
    version_run_id: uuid.UUID | None = None  # that version's producer
    # (name, type) lists of the new version and of the one before it in version order
    fields: tuple[tuple[str, str], ...] | None = None
    previous_fields: tuple[tuple[str, str], ...] | None = None
    # OutputRegistered, InputLoaded: the dobjects whose `stale` it turned true
    became_stale: tuple[Stale, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Change:
    sequence: int
    ordinal: int  # its place among the changes of its event
    kind: str
    occurred_at: datetime
    node_id: uuid.UUID  # the node whose membership decides who is told
    node_kind: str
    dobject_id: uuid.UUID | None = None
    version_id: uuid.UUID | None = None
    run_id: uuid.UUID | None = None


def schema_changed(
    fields: tuple[tuple[str, str], ...] | None, previous: tuple[tuple[str, str], ...] | None
) -> bool:
    """Names and types in order differ; no fields on either side is no change."""
    return fields is not None and previous is not None and fields != previous


def changes_of(facts: EventFacts) -> list[Change]:
    """The changes one applied event caused, in a fixed order (their ordinals)."""
    found: list[tuple[str, uuid.UUID, str, uuid.UUID | None, uuid.UUID | None, uuid.UUID | None]]
    found = []
    if facts.event_type == "RunStarted" and facts.first_of_run and facts.run_id is not None:
        found.append((RUN_STARTED, facts.run_id, RUN, None, None, facts.run_id))
    elif facts.event_type == "RunFinished" and facts.first_of_run and facts.run_id is not None:
        kind = RUN_FAILED if facts.status == "failed" else RUN_COMPLETED
        found.append((kind, facts.run_id, RUN, None, None, facts.run_id))
    elif (
        facts.event_type == "OutputRegistered"
        and facts.dobject_id is not None
        and facts.new_version_id is not None
    ):
        version = (facts.dobject_id, DOBJECT, facts.dobject_id, facts.new_version_id)
        found.append((NEW_VERSION, *version, facts.version_run_id))
        if schema_changed(facts.fields, facts.previous_fields):
            found.append((SCHEMA_CHANGED, *version, facts.version_run_id))
    if facts.event_type in ("OutputRegistered", "InputLoaded"):
        # an InputLoaded after its run's outputs can bind an old version (a late load)
        found.extend(
            (BECAME_STALE, s.dobject_id, DOBJECT, s.dobject_id, s.version_id, s.run_id)
            for s in facts.became_stale
        )
    return [
        Change(facts.sequence, ordinal, kind, facts.occurred_at, node, node_kind, d, v, r)
        for ordinal, (kind, node, node_kind, d, v, r) in enumerate(found)
    ]


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def delivery_body(
    watch: str,
    delivery_id: uuid.UUID,
    *,
    kind: str,
    sequence: int,
    occurred_at: datetime,
    distance: int,
    dobject_id: uuid.UUID | None,
    version_id: uuid.UUID | None,
    run_id: uuid.UUID | None,
) -> bytes:
    """The webhook's JSON body (absent values are null)."""
    change: dict[str, Any] = {
        "kind": kind,
        "sequence": sequence,
        "occurred_at": occurred_at.isoformat(),
        "distance": distance,
        "dobject_id": _text(dobject_id),
        "version_id": _text(version_id),
        "run_id": _text(run_id),
    }
    body = {"watch": watch, "delivery_id": str(delivery_id), "change": change}
    return json.dumps(body, separators=(",", ":")).encode()


def signature(secret: str, body: bytes) -> str:
    """`X-Lineage-Signature`: sha256=<hex HMAC-SHA256 of the raw body, keyed with the
    secret's UTF-8 bytes>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff_seconds(failures: int, cap: float) -> float:
    """Wait after the `failures`-th failed attempt: 1 s, 2 s, 4 s, ... up to `cap`."""
    return float(min(cap, 2.0 ** max(failures - 1, 0)))
