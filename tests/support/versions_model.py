"""Dataset versions straight from the rules (docs/reference/versions.md), in plain Python.

The reference the SQL of lineage_read/version_sql.py is held to: given the events (any
order, duplicates), and optionally an instant, which versions exist, which is current,
what each input read and which versions are stale. Written from the rules' text, not
from the SQL: one dict per question.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from lineage_core.events import Event, InputLoaded, OutputRegistered
from lineage_core.ids import dobject_version_id, version_key


@dataclass
class Version:
    id: uuid.UUID
    dobject_id: uuid.UUID
    run_id: uuid.UUID
    created: tuple[datetime, uuid.UUID]  # (occurred_at, event_id) of its earliest registration
    hash: str | None
    label: str | None
    size: int | None
    fields: tuple[str, ...] | None  # names, from the earliest registration carrying fields


@dataclass
class Model:
    versions: dict[uuid.UUID, Version] = field(default_factory=dict)
    current: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # dobject -> version
    # (run, dobject) -> version read (None: none), for the inputs that are shown
    bound: dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID | None] = field(default_factory=dict)
    stale: dict[uuid.UUID, bool] = field(default_factory=dict)  # version -> stale

    def order(self, version_id: uuid.UUID) -> tuple[datetime, uuid.UUID]:
        """Version order: (createdAt, id)."""
        return (self.versions[version_id].created[0], version_id)


def model(events: list[Event], at: datetime | None = None) -> Model:
    seen = {e.event_id: e for e in events if at is None or e.occurred_at <= at}
    m = Model()
    writes: list[tuple[datetime, uuid.UUID]] = []  # (occurred_at, version id)
    for e in sorted(seen.values(), key=lambda e: (e.occurred_at, e.event_id)):
        if not isinstance(e, OutputRegistered):
            continue
        d = e.dobject
        vid = dobject_version_id(d.id, version_key(d.hash, d.version, e.run_id))
        if vid not in m.versions:  # the earliest registration decides
            m.versions[vid] = Version(
                vid,
                d.id,
                e.run_id,
                (e.occurred_at, e.event_id),
                d.hash,
                d.version,
                d.size,
                _fields(events, vid),
            )
        writes.append((e.occurred_at, vid))
    for occurred_at, vid in writes:
        d = m.versions[vid].dobject_id  # type: ignore[assignment]
        best = m.current.get(d)  # type: ignore[call-overload]
        last = None if best is None else max(w for w, v in writes if v == best)
        if best is None or (occurred_at, m.order(vid)) > (last, m.order(best)):
            m.current[d] = vid
    producers = {(v.run_id, v.dobject_id) for v in m.versions.values()}
    loads: dict[tuple[uuid.UUID, uuid.UUID], InputLoaded] = {}
    for e in sorted(seen.values(), key=lambda e: (e.occurred_at, e.event_id)):
        if isinstance(e, InputLoaded):
            loads.setdefault((e.run_id, e.dobject.id), e)
    for key, load in loads.items():
        if key not in producers:
            m.bound[key] = _binding(m, load)
    for vid, v in m.versions.items():
        m.stale[vid] = any(
            read is not None and read != m.current.get(dobject)
            for (run, dobject), read in m.bound.items()
            if run == v.run_id
        )
    return m


def _fields(events: list[Event], vid: uuid.UUID) -> tuple[str, ...] | None:
    """The field names of the earliest registration of `vid` carrying fields, of all the
    events: fields are not historical, `asOf` leaves them as they are now
    (docs/questions/README.md)."""
    for e in sorted(events, key=lambda e: (e.occurred_at, e.event_id)):
        if isinstance(e, OutputRegistered) and e.fields is not None:
            d = e.dobject
            if dobject_version_id(d.id, version_key(d.hash, d.version, e.run_id)) == vid:
                return tuple(f.name for f in e.fields)
    return None


def _binding(m: Model, load: InputLoaded) -> uuid.UUID | None:
    mine = [v for v in m.versions.values() if v.dobject_id == load.dobject.id]
    if load.dobject.hash is not None:
        by_hash = [v for v in mine if v.id == _hash_version(load)]
        if by_hash:
            return by_hash[0].id
    if load.dobject.version is not None:
        labelled = [v for v in mine if v.label == load.dobject.version]
        if labelled:
            return min(labelled, key=lambda v: m.order(v.id)).id
    earlier = [v for v in mine if v.created[0] <= load.occurred_at]
    return max(earlier, key=lambda v: m.order(v.id)).id if earlier else None


def _hash_version(load: InputLoaded) -> uuid.UUID:
    return dobject_version_id(load.dobject.id, f"hash:{load.dobject.hash}")
