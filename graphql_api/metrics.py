"""Prometheus metrics of one app: requests and latency by operation, projector lag,
and whatever the default registry holds (the projector's own metrics in `lineage up`,
the process's)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics_core import Metric

from graphql_api.status_types import ProjectionStatus

MAX_OPERATION_NAMES = 200  # operation names are chosen by clients: bound the label set
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class DefaultRegistryExcept:
    """The default registry's families, less the names an app renders itself: in
    `lineage up` both the API and the projector define lineage_projector_lag, and one
    family per name is all a scraper accepts."""

    def __init__(self, own: frozenset[str]) -> None:
        self.own = own

    def collect(self) -> Iterable[Metric]:
        return [family for family in REGISTRY.collect() if family.name not in self.own]


class ApiMetrics:
    """A registry per app, so several apps in one process (tests) never collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._names: set[str] = set()
        self.requests = Counter(
            "lineage_api_requests",
            "GraphQL operations by name and outcome",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "lineage_api_request_seconds",
            "GraphQL operation latency by name",
            ["operation"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.applied = Gauge(
            "lineage_projection_applied_sequence",
            "Stream sequence applied by the projection",
            registry=self.registry,
        )
        self.stream = Gauge(
            "lineage_stream_last_sequence",
            "Last sequence of the LINEAGE stream",
            registry=self.registry,
        )
        self.lag = Gauge(
            "lineage_projector_lag",
            "Events in the stream not yet applied by the projector",
            registry=self.registry,
        )

        self.openlineage_events = Counter(
            "lineage_openlineage_events",
            "OpenLineage events received, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.openlineage_facet_warnings = Counter(
            "lineage_openlineage_facet_warnings",
            "Standard facets that broke their schema (accepted and kept, flagged)",
            registry=self.registry,
        )
        own = frozenset(family.name for family in self.registry.collect())
        self.registry.register(DefaultRegistryExcept(own))

    def observe(self, operation: str, seconds: float, *, ok: bool) -> None:
        if operation not in self._names:
            if len(self._names) >= MAX_OPERATION_NAMES:
                operation = "other"
            else:
                self._names.add(operation)
        self.requests.labels(operation, "ok" if ok else "error").inc()
        self.latency.labels(operation).observe(seconds)

    def render(self, status: ProjectionStatus | None) -> bytes:
        if status is not None:
            self.applied.set(status.applied_sequence)
            self.stream.set(status.stream_sequence)
            self.lag.set(status.lag)
        return generate_latest(self.registry)
