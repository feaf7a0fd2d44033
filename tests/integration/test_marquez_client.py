"""Marquez's own Python client (marquez-python) over every read method it has, against
`lineage up` fed by the OpenLineage client: the answers, not only the status codes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from lineage_core.ids import dataset_dobject_id
from tests.support.graphql import graphql_at_tip
from tests.support.service import Service

pytestmark = pytest.mark.integration

PG = "postgres://db.example.org:5432"  # a namespace with `://` and a port
LAKE = "s3://lake"


def _times() -> Iterator[str]:
    start = datetime.now(UTC) - timedelta(minutes=30)
    for step in range(100):
        yield (start + timedelta(seconds=step)).isoformat().replace("+00:00", "Z")


def _feed(api_url: str) -> dict[str, str]:
    """Two runs of one job (the second failed), a DatasetEvent and a JobEvent."""
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import (
        DatasetEvent,
        InputDataset,
        Job,
        JobEvent,
        OutputDataset,
        Run,
        RunEvent,
        RunState,
        StaticDataset,
    )
    from openlineage.client.generated import (
        column_lineage_dataset as cl,
    )
    from openlineage.client.generated import (
        datasource_dataset,
        nominal_time_run,
        schema_dataset,
        symlinks_dataset,
    )
    from openlineage.client.transport.http import HttpConfig, HttpTransport

    client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=api_url)))
    at = _times()
    field = schema_dataset.SchemaDatasetFacetFields
    customers = InputDataset(
        namespace=PG,
        name="crm.customers",
        facets={
            "schema": schema_dataset.SchemaDatasetFacet(
                fields=[field(name="id", type="BIGINT"), field(name="email", type="TEXT")]
            ),
            "dataSource": datasource_dataset.DatasourceDatasetFacet(name="crm-db", uri=PG),
            "symlinks": symlinks_dataset.SymlinksDatasetFacet(
                identifiers=[
                    symlinks_dataset.Identifier(
                        namespace="hive", name="crm_customers", type="TABLE"
                    )
                ]
            ),
        },
    )
    lineage = cl.ColumnLineageDatasetFacet(
        fields={
            "customer_id": cl.Fields(
                inputFields=[
                    cl.InputField(
                        namespace=PG,
                        name="crm.customers",
                        field="id",
                        transformations=[cl.Transformation(type="DIRECT", subtype="IDENTITY")],
                    )
                ]
            )
        }
    )
    events = OutputDataset(
        namespace=LAKE,
        name="clean/events",
        facets={
            "schema": schema_dataset.SchemaDatasetFacet(
                fields=[field(name="customer_id", type="BIGINT")]
            ),
            "columnLineage": lineage,
        },
    )
    job = Job(namespace="spark", name="etl.daily")
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    nominal = {"nominalTime": nominal_time_run.NominalTimeRunFacet(nominalStartTime=next(at))}
    for run_id, states in (
        (first, (RunState.START, RunState.COMPLETE)),
        (second, (RunState.START, RunState.FAIL)),
    ):
        for state in states:
            client.emit(
                RunEvent(
                    eventType=state,
                    eventTime=next(at),
                    run=Run(runId=run_id, facets=nominal),  # type: ignore[arg-type]
                    job=job,
                    producer="https://example.org/tests",
                    inputs=[customers],
                    outputs=[events],
                )
            )
    client.emit(
        DatasetEvent(
            eventTime=next(at),
            producer="https://example.org/tests",
            dataset=StaticDataset(
                namespace="warehouse",
                name="static.accounts",
                facets={
                    "schema": schema_dataset.SchemaDatasetFacet(
                        fields=[field(name="account", type="TEXT")]
                    )
                },
            ),
        )
    )
    client.emit(
        JobEvent(
            eventTime=next(at),
            producer="https://example.org/tests",
            job=Job(namespace="spark", name="planned"),
            inputs=[InputDataset(namespace=LAKE, name="clean/events")],
            outputs=[OutputDataset(namespace="warehouse", name="static.accounts")],
        )
    )
    report = str(uuid.uuid4())  # reads what etl.daily wrote last
    client.emit(
        RunEvent(
            eventType=RunState.COMPLETE,
            eventTime=next(at),
            run=Run(runId=report),
            job=Job(namespace="spark", name="report"),
            producer="https://example.org/tests",
            inputs=[InputDataset(namespace=LAKE, name="clean/events")],
        )
    )
    return {"first": first, "second": second, "report": report}


def _names(items: list[dict[str, Any]]) -> list[str]:
    return [i["name"] for i in items]


def test_marquez_python_reads_everything_back(service: Service) -> None:
    from marquez_client import MarquezClient

    runs = _feed(service.api_url)
    graphql_at_tip(service.api_url, "{ projectionStatus { lag } }")  # everything projected
    mq = MarquezClient(url=service.api_url)

    namespaces = mq.list_namespaces()["namespaces"]
    assert _names(namespaces) == sorted([PG, LAKE, "spark", "warehouse"])
    assert mq.get_namespace(PG)["name"] == PG
    assert mq.get_namespace("spark")["ownerName"] == "anonymous"

    sources = mq.list_sources()["sources"]
    assert "crm-db" in _names(sources)
    assert mq.get_source("crm-db")["connectionUrl"] == PG

    datasets = mq.list_datasets(PG)
    assert datasets["totalCount"] == 1
    customers = datasets["datasets"][0]
    assert customers["id"] == {"namespace": PG, "name": "crm.customers"}
    assert customers["type"] == "DB_TABLE"
    assert customers["sourceName"] == "crm-db"
    assert [(f["name"], f["type"]) for f in customers["fields"]] == [
        ("id", "BIGINT"),
        ("email", "TEXT"),
    ]
    assert mq.get_dataset(PG, "crm.customers")["name"] == "crm.customers"
    # the symlink is an alias; it answers with the dataset's own names
    assert mq.get_dataset("hive", "crm_customers")["namespace"] == PG
    static = mq.get_dataset("warehouse", "static.accounts")  # from a DatasetEvent alone
    assert [f["name"] for f in static["fields"]] == ["account"]

    # every run's write is a version of its own (no hash, no label: keyed by the run)
    events_id = dataset_dobject_id(LAKE, "clean/events")
    expected = {
        name: str(
            uuid.uuid5(uuid.NAMESPACE_URL, f"lineage:dobject-version/{events_id}/run:{runs[name]}")
        )
        for name in ("first", "second")
    }
    versions = mq.list_dataset_versions(LAKE, "clean/events")
    assert versions["totalCount"] == 2
    assert [(v["version"], v["createdByRun"]["id"]) for v in versions["versions"]] == [
        (expected["second"], runs["second"]),
        (expected["first"], runs["first"]),
    ]
    again = mq.get_dataset_version(LAKE, "clean/events", expected["first"])
    assert again["createdByRun"]["state"] == "COMPLETED"
    assert [f["name"] for f in again["fields"]] == ["customer_id"]
    assert mq.get_dataset(LAKE, "clean/events")["currentVersion"] == expected["second"]
    assert mq.get_dataset(PG, "crm.customers")["currentVersion"] is None  # never written

    jobs = mq.list_jobs("spark")
    assert jobs["totalCount"] == 3
    assert _names(jobs["jobs"]) == ["etl.daily", "planned", "report"]
    etl = mq.get_job("spark", "etl.daily")
    assert etl["type"] == "BATCH"
    assert etl["latestRun"]["id"] == runs["second"]
    assert etl["latestRun"]["state"] == "FAILED"
    assert etl["inputs"] == [{"namespace": PG, "name": "crm.customers"}]
    assert etl["outputs"] == [{"namespace": LAKE, "name": "clean/events"}]
    planned = mq.get_job("spark", "planned")  # a JobEvent's declared datasets
    assert planned["latestRun"] is None
    assert planned["inputs"] == [{"namespace": LAKE, "name": "clean/events"}]
    assert planned["outputs"] == [{"namespace": "warehouse", "name": "static.accounts"}]

    job_runs = mq.list_job_runs("spark", "etl.daily")
    assert job_runs["totalCount"] == 2
    assert [(r["id"], r["state"]) for r in job_runs["runs"]] == [
        (runs["second"], "FAILED"),
        (runs["first"], "COMPLETED"),
    ]
    first = mq.get_job_run(runs["first"])
    assert first["state"] == "COMPLETED"
    assert first["inputDatasetVersions"] == []  # crm.customers has no version
    assert first["outputDatasetVersions"] == [
        {
            "datasetVersionId": {
                "namespace": LAKE,
                "name": "clean/events",
                "version": expected["first"],
            },
            "facets": {},
        }
    ]
    report = mq.get_job_run(runs["report"])
    assert [v["datasetVersionId"]["version"] for v in report["inputDatasetVersions"]] == [
        expected["second"]
    ]
    assert first["jobVersion"]["name"] == "etl.daily"
    assert first["facets"]["nominalTime"]["nominalStartTime"]
    assert first["durationMs"] >= 0

    by_dataset = mq.get_column_lineage_by_dataset(LAKE, "clean/events")["graph"]
    ids = {n["id"] for n in by_dataset}
    target = f"datasetField:{LAKE}:clean/events:customer_id"
    source = f"datasetField:{PG}:crm.customers:id"
    assert ids == {target, source}
    node = next(n for n in by_dataset if n["id"] == target)
    assert node["data"]["inputFields"][0]["field"] == "id"
    assert node["inEdges"] == [{"origin": source, "destination": target}]
    by_field = mq.get_column_lineage_by_dataset_field(
        PG, "crm.customers", "id", with_downstream=True
    )
    assert {n["id"] for n in by_field["graph"]} == {target, source}
    by_job = mq.get_column_lineage_by_job("spark", "etl.daily")
    assert {n["id"] for n in by_job["graph"]} == {target, source}

    assert mq.list_tags()["tags"] == []
    events = mq.list_events()["events"]
    assert len(events) == 5
    assert {e["run"]["runId"] for e in events} == set(runs.values())
    assert [e["eventTime"] for e in events] == sorted(
        (e["eventTime"] for e in events), reverse=True
    )
    assert len(mq.list_events(namespace="spark")["events"]) == 5


def test_marquez_routes_the_client_lacks(service: Service) -> None:
    runs = _feed(service.api_url)
    graphql_at_tip(service.api_url, "{ projectionStatus { lag } }")
    api = f"{service.api_url}/api/v1"

    def get(path: str, **params: Any) -> httpx.Response:
        return httpx.get(f"{api}/{path}", params=params, timeout=30)

    graph = get("lineage", nodeId=f"dataset:{PG}:crm.customers", depth=2).json()["graph"]
    assert {n["id"] for n in graph} == {
        f"dataset:{PG}:crm.customers",
        "job:spark:etl.daily",
        f"dataset:{LAKE}:clean/events",
        "job:spark:report",
    }
    job = next(n for n in graph if n["id"] == "job:spark:etl.daily")
    assert job["data"]["type"] == "BATCH"
    assert job["inEdges"] == [
        {"origin": f"dataset:{PG}:crm.customers", "destination": "job:spark:etl.daily"}
    ]
    assert get("lineage", nodeId="dataset:nowhere:x").status_code == 404
    assert get("lineage", nodeId="table:x:y").json()["code"] == 400
    assert get("lineage", nodeId=f"dataset:{PG}:crm.customers", depth=51).status_code == 400

    found = get("search", q="CUSTOM").json()
    assert found["totalCount"] == 1
    assert found["results"][0]["nodeId"] == f"dataset:{PG}:crm.customers"
    assert [r["name"] for r in get("search", q="a", filter="job").json()["results"]] == [
        "etl.daily",
        "planned",
    ]

    every = get("jobs", lastRunStates="failed").json()
    assert every["totalCount"] == 1
    assert every["jobs"][0]["name"] == "etl.daily"

    upstream = get("runlineage/upstream", runId=runs["report"]).json()["runs"]
    assert [u["run"]["id"] for u in upstream] == [runs["report"], runs["second"]]
    [read] = upstream[0]["inputs"]
    assert read["name"] == "clean/events"
    assert read["producedByRunId"] == runs["second"]
    [unversioned] = upstream[1]["inputs"]  # an input no run wrote: no version, no producer
    assert unversioned["name"] == "crm.customers"
    assert unversioned["version"] is None
    assert unversioned["producedByRunId"] is None

    facets = get(f"jobs/runs/{runs['first']}/facets", type="RUN").json()
    assert facets["runId"] == runs["first"]
    assert "nominalTime" in facets["facets"]

    ascending = get("events/lineage", sortDirection="asc", limit=2).json()
    assert ascending["totalCount"] == 5
    assert len(ascending["events"]) == 2
    assert ascending["events"][0]["eventType"] == "START"

    day = get("stats/lineage-events", period="day").json()
    assert len(day) == 24
    assert sum(b["start"] for b in day) == 2
    assert sum(b["fail"] for b in day) == 1
    week = get("stats/datasets", period="WEEK", timezone="Europe/Berlin").json()
    assert len(week) == 7
    assert week[-1]["count"] == 3
    assert get("stats/jobs", period="WEEK").status_code == 400

    missing = get("namespaces/nowhere/jobs/nothing")
    assert missing.status_code == 404
    assert set(missing.json()) == {"code", "message"}
    refused = httpx.put(f"{api}/namespaces/spark", json={"ownerName": "me"}, timeout=10)
    assert refused.status_code == 405
    assert "OpenLineage" in refused.json()["message"]
    assert "PUT" in refused.headers["allow"]
    assert httpx.post(f"{api}/jobs/runs/{uuid.uuid4()}/complete", timeout=10).status_code == 405
