"""The Marquez routes over dataset versions (docs/reference/versions.md): a table
rewritten by two runs of one job and one run of another, read between the writes; every
version, run and job names the run that wrote it, not the dataset's current writer."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from lineage_core.ids import dataset_dobject_id
from tests.support.graphql import graphql_at_tip
from tests.support.service import Service

pytestmark = pytest.mark.integration

NS = "warehouse"
TABLE = {"namespace": NS, "name": "sales.daily"}


def _run(service: Service, job: str, at: str, *, writes: bool, label: str | None = None) -> str:
    run_id = str(uuid.uuid4())
    table: dict[str, Any] = dict(TABLE)
    if label is not None:
        table["facets"] = {"version": {"datasetVersion": label}}
    for event_type, minute in (("START", 0), ("COMPLETE", 1)):
        body = {
            "eventType": event_type,
            "eventTime": f"2026-11-2{at}T0{minute}:00:00Z",
            "producer": "https://example.org/tests",
            "run": {"runId": run_id},
            "job": {"namespace": "etl", "name": job},
            "inputs": [] if writes else [table],
            "outputs": [table] if writes else [],
        }
        answer = httpx.post(f"{service.api_url}/api/v1/lineage", json=body, timeout=30)
        assert answer.status_code == 201, answer.text
    return run_id


def _version(label: str) -> str:
    dobject = dataset_dobject_id(NS, TABLE["name"])
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"lineage:dobject-version/{dobject}/label:{label}"))


def test_each_version_and_run_names_the_run_that_wrote_it(service: Service) -> None:
    first = _run(service, "nightly", "1", writes=True, label="2026-11-21")
    early = _run(service, "report", "2", writes=False)  # reads the first night's table
    second = _run(service, "nightly", "3", writes=True, label="2026-11-23")
    fix = _run(service, "backfill", "4", writes=True, label="2026-11-24")
    late = _run(service, "report", "5", writes=False)
    graphql_at_tip(service.api_url, "{ projectionStatus { lag } }")
    api = f"{service.api_url}/api/v1"

    def get(path: str) -> Any:
        answer = httpx.get(f"{api}/{path}", timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    writes = {first: "2026-11-21", second: "2026-11-23", fix: "2026-11-24"}
    versions = get(f"namespaces/{NS}/datasets/sales.daily/versions")["versions"]
    assert [(v["version"], v["createdByRunUuid"]) for v in versions] == [
        (_version(writes[run]), run) for run in (fix, second, first)
    ]
    for entry in versions:  # the run inside a version is its writer, with its own outputs
        run = entry["createdByRun"]
        assert run["id"] == entry["createdByRunUuid"]
        assert [o["datasetVersionId"]["version"] for o in run["outputDatasetVersions"]] == [
            entry["version"]
        ]
    one = get(f"namespaces/{NS}/datasets/sales.daily/versions/{_version(writes[first])}")
    assert one["createdByRun"]["id"] == first
    assert get(f"namespaces/{NS}/datasets/sales.daily")["currentVersion"] == _version(writes[fix])

    for run, label in writes.items():
        outputs = get(f"jobs/runs/{run}")["outputDatasetVersions"]
        assert outputs == [
            {"datasetVersionId": {**TABLE, "version": _version(label)}, "facets": {}}
        ]
    for run, label in ((early, writes[first]), (late, writes[fix])):
        inputs = get(f"jobs/runs/{run}")["inputDatasetVersions"]
        assert [i["datasetVersionId"]["version"] for i in inputs] == [_version(label)]

    job_runs = get("namespaces/etl/jobs/nightly/runs")["runs"]
    assert [
        [o["datasetVersionId"]["version"] for o in r["outputDatasetVersions"]] for r in job_runs
    ] == [[_version(writes[second])], [_version(writes[first])]]
    nightly = get("namespaces/etl/jobs/nightly")
    assert nightly["latestRun"]["id"] == second
    assert nightly["outputs"] == [TABLE]
    assert get("namespaces/etl/jobs/backfill")["outputs"] == [TABLE]
    graph = get(f"lineage?nodeId=dataset:{NS}:sales.daily&depth=1")["graph"]
    table = next(n for n in graph if n["id"] == f"dataset:{NS}:sales.daily")
    assert {e["origin"] for e in table["inEdges"]} == {"job:etl:nightly", "job:etl:backfill"}
