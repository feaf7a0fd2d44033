"""POST /api/v1/lineage against the real `lineage up`: the OpenLineage project's own
examples, Marquez's edge cases, the real openlineage-python client, and GraphQL answers."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from lineage_core.ids import dataset_dobject_id
from projector.store import asyncpg_dsn
from tests.support.graphql import graphql_at_tip
from tests.support.service import Service

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "openlineage"
pytestmark = pytest.mark.integration
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} is absent")


def _post(service: Service, body: Any) -> httpx.Response:
    return httpx.post(f"{service.api_url}/api/v1/lineage", json=body, timeout=30)


def _graphql(service: Service, query: str) -> dict[str, Any]:
    return graphql_at_tip(service.api_url, query)


def _event(event_type: str, run_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "eventType": event_type,
        "eventTime": f"2026-11-25T01:0{len(event_type) % 10}:00Z",
        "producer": "https://example.org/tests",
        "run": {"runId": run_id},
        "job": {"namespace": "tests", "name": "align"},
        **extra,
    }


@needs_shared
def test_the_openlineage_examples_and_marquez_edge_cases(service: Service) -> None:
    for path in [
        *sorted((SHARED / "examples" / "valid").glob("*.json")),
        *sorted((SHARED / "marquez" / "events").glob("*.json")),
    ]:
        answer = _post(service, json.loads(path.read_text()))
        assert answer.status_code == 201, (path.name, answer.text)

    refused = _post(
        service, json.loads((SHARED / "examples/invalid/event_no_run_id.json").read_text())
    )
    assert refused.status_code == 400
    assert "runId" in refused.json()["error"]

    for path in sorted((SHARED / "examples" / "invalid").glob("event_invalid_*.json")):
        answer = _post(service, json.loads(path.read_text()))
        assert answer.status_code == 201, (path.name, answer.text)
        warnings = answer.json()["warnings"]
        assert warnings, f"{path.name}: its broken facet was not flagged"
        assert answer.json()["events"] >= 1  # its lineage was kept
    metrics = httpx.get(f"{service.api_url}/metrics", timeout=10).text
    flagged = [
        line
        for line in metrics.splitlines()
        if line.startswith("lineage_openlineage_facet_warnings_total")
    ]
    assert flagged
    assert float(flagged[0].split()[-1]) >= 5


def test_lineage_and_facets_show_in_graphql_and_retries_add_nothing(service: Service) -> None:
    run_id = str(uuid.uuid4())
    start = _event(
        "START",
        run_id,
        inputs=[{"namespace": "file", "name": "/d/input.fastq.gz"}],
        run={
            "runId": run_id,
            "facets": {"nominalTime": {"nominalStartTime": "2026-11-25T00:00:00Z"}},
        },
    )
    complete = _event("COMPLETE", run_id, outputs=[{"namespace": "file", "name": "/d/out.bam"}])
    assert _post(service, [start, complete]).status_code == 201
    assert _post(service, complete).status_code == 201  # a client retry
    data = _graphql(
        service,
        """{ runs(filter: {transformName: "tests/align"}) { totalCount
        nodes { id status facets inputs { name suffix } outputs { name suffix } } } }""",
    )
    assert data["runs"]["totalCount"] == 1
    run = data["runs"]["nodes"][0]
    assert run["id"] == run_id
    assert run["status"] == "COMPLETED"
    assert run["inputs"] == [{"name": "input", "suffix": ".fastq.gz"}]
    assert run["outputs"] == [{"name": "out", "suffix": ".bam"}]
    assert run["facets"]["nominalTime"]["nominalStartTime"] == "2026-11-25T00:00:00Z"
    raw = _graphql(service, "{ projectionStatus { appliedSequence } }")
    # START: RunStarted + InputLoaded; COMPLETE: RunStarted + OutputRegistered + RunFinished.
    # The retried COMPLETE would make 8: JetStream de-duplicated it by Nats-Msg-Id.
    assert raw["projectionStatus"]["appliedSequence"] == 5


def test_bad_bodies_get_400_with_a_reason(service: Service) -> None:
    bad = httpx.post(f"{service.api_url}/api/v1/lineage", content=b"{nope", timeout=10)
    assert bad.status_code == 400
    assert "JSON" in bad.json()["error"]
    wrong_type = _event("EXPLODED", str(uuid.uuid4()))
    answer = _post(service, [_event("START", str(uuid.uuid4())), wrong_type])
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("event 1:")
    assert _post(service, []).status_code == 400
    # eventType makes a RunEvent: without `run` it is refused, naming `run`.
    no_run = {k: v for k, v in _event("COMPLETE", str(uuid.uuid4())).items() if k != "run"}
    no_run["schemaURL"] = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
    refused = _post(service, no_run)
    assert refused.status_code == 400
    assert refused.json()["error"].startswith("invalid OpenLineage event: run: Field required")


def test_the_real_openlineage_python_client(service: Service) -> None:
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import (
        InputDataset,
        Job,
        OutputDataset,
        Run,
        RunEvent,
        RunState,
    )
    from openlineage.client.transport.http import HttpConfig, HttpTransport

    client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=service.api_url)))
    run = Run(runId=str(uuid.uuid4()))
    job = Job(namespace="spark", name="etl")
    for state in (RunState.START, RunState.COMPLETE):
        client.emit(
            RunEvent(
                eventType=state,
                eventTime=f"2026-11-25T02:00:0{int(state == RunState.COMPLETE)}Z",
                run=run,
                job=job,
                producer="https://example.org/client",
                inputs=[InputDataset(namespace="s3://raw", name="events.parquet")],
                outputs=[OutputDataset(namespace="s3://clean", name="events.parquet")],
            )
        )
    data = _graphql(
        service,
        """{ runs(filter: {transformName: "spark/etl"}) {
        nodes { id status inputs { name suffix } outputs { name } } } }""",
    )
    assert data["runs"]["nodes"] == [
        {
            "id": run.runId,
            "status": "COMPLETED",
            "inputs": [{"name": "events", "suffix": ".parquet"}],
            "outputs": [{"name": "events"}],
        }
    ]


def test_marquez_shaped_lineage_of_a_dataset(service: Service) -> None:
    upstream, downstream = str(uuid.uuid4()), str(uuid.uuid4())
    raw = {"namespace": "s3://lake", "name": "raw/reads.fastq.gz"}
    clean = {"namespace": "s3://lake", "name": "clean/reads.bam"}
    extract = _event("COMPLETE", upstream, inputs=[raw], outputs=[clean])
    report = _event(
        "COMPLETE", downstream, inputs=[clean], job={"namespace": "tests", "name": "report"}
    )
    assert _post(service, [extract, report]).status_code == 201
    _graphql(service, "{ projectionStatus { appliedSequence } }")  # wait until projected

    url = f"{service.api_url}/api/v1/lineage"
    answer = httpx.get(
        url, params={"nodeId": "dataset:s3://lake:clean/reads.bam", "depth": 5}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    nodes = {n["id"]: n for n in answer.json()["graph"]}
    assert set(nodes) == {
        "dataset:s3://lake:raw/reads.fastq.gz",
        "dataset:s3://lake:clean/reads.bam",
        "job:tests:align",
        "job:tests:report",
    }
    bam = nodes["dataset:s3://lake:clean/reads.bam"]
    assert bam["type"] == "DATASET"
    assert bam["data"]["id"] == {
        "namespace": "s3://lake",
        "name": "clean/reads.bam",
    }
    assert bam["inEdges"] == [
        {"origin": "job:tests:align", "destination": "dataset:s3://lake:clean/reads.bam"}
    ]
    assert bam["outEdges"] == [
        {"origin": "dataset:s3://lake:clean/reads.bam", "destination": "job:tests:report"}
    ]
    assert (
        nodes["job:tests:align"]["inEdges"][0]["origin"] == "dataset:s3://lake:raw/reads.fastq.gz"
    )

    by_job = httpx.get(url, params={"nodeId": "job:tests:report", "depth": 5}, timeout=10)
    assert by_job.status_code == 200, by_job.text
    assert {n["id"] for n in by_job.json()["graph"]} == set(nodes)
    # an OpenLineage job has its own name only, not its transform's in namespace `lineage`
    by_transform = httpx.get(url, params={"nodeId": "job:lineage:tests/report"}, timeout=10)
    assert by_transform.status_code == 404

    assert (
        httpx.get(url, params={"nodeId": "dataset:s3://lake:nope"}, timeout=10).status_code == 404
    )
    assert httpx.get(url, params={"nodeId": "job:tests:nope"}, timeout=10).status_code == 404
    assert httpx.get(url, params={"nodeId": "table:x"}, timeout=10).status_code == 400
    assert (
        httpx.get(
            url, params={"nodeId": "dataset:s3://lake:clean/reads.bam", "depth": 99}, timeout=10
        ).status_code
        == 400
    )


def test_parent_schema_and_column_lineage_facets_from_the_real_client(service: Service) -> None:
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import (
        InputDataset,
        Job,
        OutputDataset,
        Run,
        RunEvent,
        RunState,
    )
    from openlineage.client.facet_v2 import column_lineage_dataset as cl
    from openlineage.client.facet_v2 import parent_run, schema_dataset
    from openlineage.client.transport.http import HttpConfig, HttpTransport

    client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=service.api_url)))
    parent, child = str(uuid.uuid4()), str(uuid.uuid4())
    source = InputDataset(namespace="postgres://db", name="crm.customers")
    schema = schema_dataset.SchemaDatasetFacet(
        fields=[
            schema_dataset.SchemaDatasetFacetFields(name="id", type="BIGINT"),
            schema_dataset.SchemaDatasetFacetFields(
                name="address",
                type="STRUCT",
                fields=[schema_dataset.SchemaDatasetFacetFields(name="city", type="VARCHAR")],
            ),
        ]
    )
    identity = [cl.Transformation(type="DIRECT", subtype="IDENTITY")]
    lineage = cl.ColumnLineageDatasetFacet(
        fields={
            "id": cl.Fields(
                inputFields=[cl.InputField("postgres://db", "crm.customers", "id", identity)]
            ),
            "address.city": cl.Fields(
                inputFields=[cl.InputField("postgres://db", "crm.customers", "city", identity)]
            ),
        }
    )
    output = OutputDataset(
        namespace="s3://lake",
        name="marts/customers.parquet",
        facets={"schema": schema, "columnLineage": lineage},
    )
    # The child first: its parent is not known yet when it arrives.
    client.emit(
        RunEvent(
            eventType=RunState.COMPLETE,
            eventTime="2026-11-25T03:00:02Z",
            run=Run(
                runId=child,
                facets={
                    "parent": parent_run.ParentRunFacet(
                        run=parent_run.Run(runId=parent),
                        job=parent_run.Job(namespace="airflow", name="nightly"),
                    )
                },
            ),
            job=Job(namespace="airflow", name="nightly.load_customers"),
            producer="https://example.org/client",
            inputs=[source],
            outputs=[output],
        )
    )
    client.emit(
        RunEvent(
            eventType=RunState.START,
            eventTime="2026-11-25T03:00:00Z",
            run=Run(runId=parent),
            job=Job(namespace="airflow", name="nightly"),
            producer="https://example.org/client",
        )
    )
    _graphql(service, "{ projectionStatus { appliedSequence } }")  # wait until projected

    runs = _rows(service, "SELECT id, parent_run_id, transform_id FROM projection.runs")
    by_id = {str(r["id"]): r for r in runs}
    assert str(by_id[child]["parent_run_id"]) == parent  # parent and child meet
    assert by_id[parent]["transform_id"] is not None  # the parent's own RunStarted
    edges = _rows(
        service,
        "SELECT target_field, source_dobject_id, source_field, transformation "
        "FROM projection.column_edges ORDER BY target_field",
    )
    source_id = dataset_dobject_id("postgres://db", "crm.customers")
    assert [tuple(e.values()) for e in edges] == [
        ("address.city", source_id, "city", "DIRECT/IDENTITY"),
        ("id", source_id, "id", "DIRECT/IDENTITY"),
    ]

    answer = httpx.get(
        f"{service.api_url}/api/v1/lineage",
        params={"nodeId": "dataset:s3://lake:marts/customers.parquet", "depth": 1},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    nodes = {n["id"]: n for n in answer.json()["graph"]}
    assert nodes["dataset:s3://lake:marts/customers.parquet"]["data"]["fields"] == [
        {"name": "id", "type": "BIGINT", "tags": [], "description": None},
        {"name": "address", "type": "STRUCT", "tags": [], "description": None},
        {"name": "address.city", "type": "VARCHAR", "tags": [], "description": None},
    ]
    assert nodes["dataset:postgres://db:crm.customers"]["data"]["fields"] == []


def _rows(service: Service, sql: str) -> list[dict[str, Any]]:
    async def fetch() -> list[dict[str, Any]]:
        conn = await asyncpg.connect(asyncpg_dsn(service.database_url))
        try:
            return [dict(r) for r in await conn.fetch(sql)]
        finally:
            await conn.close()

    return asyncio.run(fetch())
