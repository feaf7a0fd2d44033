"""Prometheus metrics of the projector, in the default registry.

Served on the one /metrics of `lineage up` (the API's), and by `lineage projector` on
LINEAGE_METRICS_PORT (projector/metrics_server.py). docs/reference/deployment.md names the ones
every deployment can rely on.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter, Gauge, Histogram

EVENTS_APPLIED: Final = Counter(
    "lineage_projector_events_applied", "Events applied to the projection (new event_ids)."
)
EVENTS_DUPLICATE: Final = Counter(
    "lineage_projector_events_duplicate",
    "Redelivered or re-sent events skipped (by stream sequence or by event_id).",
)
EVENTS_DEAD_LETTERED: Final = Counter(
    "lineage_projector_events_dead_lettered",
    "Bad events moved to the LINEAGE_DLQ stream, by reason.",
    ["reason"],
)
BATCH_SECONDS: Final = Histogram(
    "lineage_projector_batch_seconds",
    "Time to apply one batch (decode, dead-letter, commit).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
BATCH_RETRIES: Final = Counter(
    "lineage_projector_batch_retries",
    "Batch attempts that failed on a database fault and were retried.",
)
APPLIED_SEQUENCE: Final = Gauge(
    "lineage_projector_applied_sequence", "Stream sequence of LINEAGE the projection has applied."
)
IS_ACTIVE: Final = Gauge(
    "lineage_projector_active", "1 while this process is the active projector, 0 on standby."
)
LAG: Final = Gauge(
    "lineage_projector_lag",
    "Events in LINEAGE past the applied sequence, read at scrape time (NaN on a standby).",
)


def reason_label(reason: str) -> str:
    """A low-cardinality label for a dead-letter reason (the header keeps the full text)."""
    if reason.startswith(("not JSON", "event must be")):
        return "undecodable"
    if reason.startswith("unknown event_type"):
        return "unknown_event_type"
    if "newer than supported" in reason:
        return "future_schema_version"
    if reason.startswith("message of"):
        return "too_large"
    if reason.startswith("rejected by the database"):
        return "database_rejected"
    return "invalid"
