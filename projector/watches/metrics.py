"""Prometheus metrics of the watches, in the default registry (served wherever the
projector's are: the one /metrics of `lineage up`, LINEAGE_METRICS_PORT of `lineage
projector`)."""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter, Gauge, Histogram

DELIVERIES: Final = Counter(
    "lineage_watch_deliveries",
    "Webhook delivery attempts by result: delivered, retried (a failed attempt that will "
    "be retried), failed (given up after the retry window).",
    ["result"],
)
PENDING: Final = Gauge(
    "lineage_watch_pending", "Deliveries of durable watches not yet delivered or failed."
)
DELIVERIES_CREATED: Final = Counter(
    "lineage_watch_deliveries_recorded", "Delivery rows the change detector wrote."
)
CHANGES: Final = Counter("lineage_watch_changes", "Lineage changes the detector decided.")
DETECTOR_SEQUENCE: Final = Gauge(
    "lineage_watch_detector_sequence", "Stream sequence up to which changes are decided."
)
DETECT_SECONDS: Final = Histogram(
    "lineage_watch_detect_seconds",
    "Time of one detector transaction (facts, changes, deliveries, cursor).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
MATCH_SECONDS: Final = Histogram(
    "lineage_watch_match_seconds",
    "Time of the membership statement of one detector transaction (the walk from the "
    "changed nodes to the watched roots, and the delivery rows it writes).",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
DELIVERY_SECONDS: Final = Histogram(
    "lineage_watch_delivery_seconds",
    "Time of one webhook POST, answered or not.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
