"""The deploy files are checked offline: the compose file against the Compose
Specification's JSON schema, the Kubernetes manifests against the API schemas
(kubernetes-validate), the alert rules with promtool where it is installed, and every
metric the dashboard and the alerts query is one the code registers."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from prometheus_client import REGISTRY, CollectorRegistry

import projector.metrics
import projector.watches.metrics  # noqa: F401 - and the watches'
from graphql_api.metrics import ApiMetrics

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
KUBERNETES_VERSION = "1.30.0"
# Metrics of Prometheus itself or of the NATS exporter that the rules may use.
FOREIGN_METRICS = frozenset({"up"})
PROMQL_WORDS = frozenset(
    {
        "sum",
        "max",
        "min",
        "by",
        "rate",
        "increase",
        "delta",
        "absent",
        "histogram_quantile",
        "and",
        "or",
        "le",
        "instance",
        "reason",
        "outcome",
        "job",
        "m",
    }
)


def _yaml_documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_compose_file_follows_the_compose_specification() -> None:
    schema = json.loads((DEPLOY / "schemas" / "compose-spec.json").read_text())
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    # the schema says draft 2019-09 (with a trailing "#" jsonschema does not look up)
    jsonschema.Draft201909Validator(schema).validate(compose)


def test_compose_runs_the_production_shape() -> None:
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    nats = [s for name, s in services.items() if re.fullmatch(r"nats-\d", name)]
    assert len(nats) == 3
    for node in nats:
        assert "--jetstream" in node["command"]
        assert any(arg.startswith("--routes=") for arg in node["command"])
    parts = {name: s for name, s in services.items() if s.get("command", [""])[0] == "lineage"}
    projectors = [s for s in parts.values() if s["command"] == ["lineage", "projector"]]
    apis = [s for s in parts.values() if s["command"] == ["lineage", "api"]]
    assert len(projectors) == 2
    assert len(apis) == 2
    for part in parts.values():
        assert part["environment"]["LINEAGE_STREAM_REPLICAS"] == "3"
        assert part["environment"]["LINEAGE_NATS_URL"].count("nats://") == 3
    for api in apis:
        assert "postgres-replica" in api["environment"]["LINEAGE_DATABASE_READ_URL"]
    assert {"postgres-primary", "postgres-replica", "proxy", "prometheus", "grafana"} <= set(
        services
    )


def _manifests() -> list[tuple[Path, dict[str, Any]]]:
    return [(p, doc) for p in sorted((DEPLOY / "k8s").glob("*.yaml")) for doc in _yaml_documents(p)]


@pytest.mark.parametrize(("path", "manifest"), _manifests(), ids=lambda v: getattr(v, "name", ""))
def test_kubernetes_manifest_is_valid(path: Path, manifest: dict[str, Any]) -> None:
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_every_deployment_has_probes_requests_and_a_disruption_budget() -> None:
    docs = [doc for _, doc in _manifests()]
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    budgets = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
    assert {d["metadata"]["name"] for d in deployments} == {"lineage-api", "lineage-projector"}
    for deployment in deployments:
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert any(
            b["spec"]["selector"]["matchLabels"].items() <= labels.items() for b in budgets
        ), deployment["metadata"]["name"]
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert container["resources"]["requests"]["cpu"]
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            ready = container["readinessProbe"]["httpGet"]["path"]
            assert ready == ("/readyz" if container["name"] == "api" else "/healthz")


def _alert_rules() -> list[dict[str, Any]]:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return [rule for group in rules["groups"] for rule in group["rules"]]


def test_alert_rules_cover_what_an_operator_must_hear_of() -> None:
    rules = _alert_rules()
    for rule in rules:
        assert set(rule) >= {"alert", "expr"}
    assert {r["alert"] for r in rules} >= {
        "LineageProjectionLagGrowing",
        "LineageDeadLetters",
        "LineageNoActiveProjector",
        "LineageApiErrors",
        "LineageWatchDeliveriesFailing",
    }


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_prometheus_config_and_rules_pass_promtool(tmp_path: Path) -> None:
    rules = subprocess.run(
        ["promtool", "check", "rules", str(DEPLOY / "prometheus" / "alerts.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert rules.returncode == 0, rules.stdout + rules.stderr
    # the config names the rules by their path in the container: point it here
    config = (DEPLOY / "prometheus" / "prometheus.yml").read_text()
    shutil.copy(DEPLOY / "prometheus" / "alerts.yml", tmp_path / "alerts.yml")
    local = tmp_path / "prometheus.yml"
    local.write_text(config.replace("/etc/prometheus/alerts.yml", str(tmp_path / "alerts.yml")))
    checked = subprocess.run(
        ["promtool", "check", "config", str(local)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def registered_metric_names() -> set[str]:
    """Every sample name the API and the projector can expose (with _total, _bucket, ...)."""
    names: set[str] = set()
    for registry in (REGISTRY, ApiMetrics().registry):
        for family in registry.collect():
            names.add(family.name)
            names.update(sample.name for sample in family.samples)
            if family.type == "histogram":
                names.update(f"{family.name}_{s}" for s in ("bucket", "sum", "count"))
            if family.type == "counter":
                names.add(f"{family.name}_total")
    return names


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (label matchers, strings, durations and
    function names removed)."""
    expr = re.sub(r'"[^"]*"', "", expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without)\s*\([^)]*\)", "", expr)
    words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr))
    return {w for w in words if w not in PROMQL_WORDS}


def _dashboard_queries() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "lineage.json").read_text())
    return [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]


def test_dashboard_and_alerts_query_only_registered_metrics() -> None:
    known = registered_metric_names() | FOREIGN_METRICS
    queries = _dashboard_queries() + [r["expr"] for r in _alert_rules()]
    read = set().union(*(metric_names(q) for q in queries))
    assert read - known == set()
    # the dashboard shows what the issue lists
    assert {
        "lineage_projector_events_applied_total",
        "lineage_projector_lag",
        "lineage_projector_events_dead_lettered_total",
        "lineage_projector_active",
        "lineage_api_requests_total",
        "lineage_api_request_seconds_bucket",
        "lineage_watch_deliveries_total",
        "lineage_watch_pending",
    } <= set().union(*(metric_names(q) for q in _dashboard_queries()))


def test_metric_name_parser_sees_through_promql() -> None:
    expr = 'histogram_quantile(0.99, sum by (le) (rate(x_seconds_bucket{job="a"}[5m]))) or y'
    assert metric_names(expr) == {"x_seconds_bucket", "y"}
    assert isinstance(CollectorRegistry(), CollectorRegistry)
