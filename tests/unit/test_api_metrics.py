"""Prometheus metrics of the API: operation labels are bounded."""

from __future__ import annotations

from graphql_api.metrics import MAX_OPERATION_NAMES, ApiMetrics
from graphql_api.status_types import ProjectionStatus


def test_operation_names_are_bounded_and_lag_is_rendered() -> None:
    metrics = ApiMetrics()
    for i in range(MAX_OPERATION_NAMES + 5):
        metrics.observe(f"op{i}", 0.001, ok=i % 2 == 0)
    metrics.observe("op0", 0.002, ok=True)
    text = metrics.render(
        ProjectionStatus(applied_sequence=7, stream_sequence=10, lag=3, last_event_at=None)  # type: ignore[arg-type]
    ).decode()
    assert 'lineage_api_requests_total{operation="other",outcome="ok"} 3.0' in text
    assert 'lineage_api_requests_total{operation="op0",outcome="ok"} 2.0' in text
    assert f'operation="op{MAX_OPERATION_NAMES}"' not in text
    assert "lineage_projector_lag 3.0" in text
    assert "lineage_projection_applied_sequence 7.0" in text
