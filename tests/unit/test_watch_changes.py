"""The pure rules of lineage changes: which changes an event's facts mean, the webhook
body and its signature, the backoff."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime

from lineage_core.changes import (
    EventFacts,
    Stale,
    backoff_seconds,
    changes_of,
    delivery_body,
    schema_changed,
    signature,
)

AT = datetime(2026, 3, 1, tzinfo=UTC)
R, D, V, X, XV = (uuid.uuid5(uuid.NAMESPACE_URL, n) for n in "rdvxy")


def test_run_events_are_changes_only_the_first_time() -> None:
    started = EventFacts(7, "RunStarted", AT, R, first_of_run=True)
    assert [(c.kind, c.node_id, c.run_id) for c in changes_of(started)] == [("RUN_STARTED", R, R)]
    assert changes_of(EventFacts(8, "RunStarted", AT, R, first_of_run=False)) == []
    failed = EventFacts(9, "RunFinished", AT, R, first_of_run=True, status="failed")
    done = EventFacts(9, "RunFinished", AT, R, first_of_run=True, status="completed")
    assert [c.kind for c in changes_of(failed) + changes_of(done)] == [
        "RUN_FAILED",
        "RUN_COMPLETED",
    ]
    assert changes_of(EventFacts(10, "InputLoaded", AT, R, first_of_run=True)) == []


def test_a_new_version_with_a_new_schema_that_makes_a_dobject_stale() -> None:
    facts = EventFacts(
        12,
        "OutputRegistered",
        AT,
        R,
        dobject_id=D,
        new_version_id=V,
        version_run_id=R,
        fields=(("a", "int"), ("b", "text")),
        previous_fields=(("a", "int"),),
        became_stale=(Stale(X, XV, None),),
    )
    got = [(c.ordinal, c.kind, c.node_id, c.dobject_id, c.version_id) for c in changes_of(facts)]
    assert got == [
        (0, "NEW_VERSION", D, D, V),
        (1, "SCHEMA_CHANGED", D, D, V),
        (2, "BECAME_STALE", X, X, XV),
    ]
    again = EventFacts(13, "OutputRegistered", AT, R, dobject_id=D)  # an existing version
    assert changes_of(again) == []


def test_a_late_input_load_that_makes_its_runs_output_stale() -> None:
    late = EventFacts(14, "InputLoaded", AT, R, dobject_id=D, became_stale=(Stale(X, XV, R),))
    got = [(c.ordinal, c.kind, c.node_id, c.version_id, c.run_id) for c in changes_of(late)]
    assert got == [(0, "BECAME_STALE", X, XV, R)]


def test_schema_changes_compare_names_and_types_in_order() -> None:
    a, b = ("a", "int"), ("b", "text")
    assert schema_changed((a, b), (b, a))
    assert schema_changed((a,), (a, b))
    assert not schema_changed((a, b), (a, b))
    assert not schema_changed((a,), None)  # a first version, or no fields: no change
    assert not schema_changed(None, (a,))


def test_the_body_and_its_signature() -> None:
    delivery = uuid.uuid4()
    body = delivery_body(
        "w",
        delivery,
        kind="NEW_VERSION",
        sequence=5,
        occurred_at=AT,
        distance=2,
        dobject_id=D,
        version_id=V,
        run_id=None,
    )
    assert json.loads(body) == {
        "watch": "w",
        "delivery_id": str(delivery),
        "change": {
            "kind": "NEW_VERSION",
            "sequence": 5,
            "occurred_at": "2026-03-01T00:00:00+00:00",
            "distance": 2,
            "dobject_id": str(D),
            "version_id": str(V),
            "run_id": None,
        },
    }
    expected = hmac.new("sécret".encode(), body, hashlib.sha256).hexdigest()
    assert signature("sécret", body) == f"sha256={expected}"


def test_backoff_starts_within_five_seconds_and_is_capped() -> None:
    waits = [backoff_seconds(n, 300) for n in range(1, 12)]
    assert waits[0] <= 5
    assert waits == sorted(waits)
    assert max(waits) == 300
