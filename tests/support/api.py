"""Helpers of the API's integration tests: the app in-process, and a seeded projection.

Data is written straight into the projection tables (the projector's contract with
the API), so these tests do not depend on the projector."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import insert, text
from starlette.applications import Starlette

from http_edge.app import create_app
from lineage_core.db.engine import create_engine
from lineage_core.db.tables import (
    dobject_versions,
    dobject_writes,
    dobjects,
    run_inputs,
    runs,
    transforms,
)
from lineage_core.ids import dobject_version_id, transform_id, version_key
from lineage_core.settings import Settings

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Seed:
    """Rows to insert; helpers return the new ids. Times grow by one second per row."""

    transforms: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    dobjects: list[dict[str, Any]] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    writes: list[dict[str, Any]] = field(default_factory=list)
    clock: int = 0

    def _tick(self) -> datetime:
        self.clock += 1
        return T0 + timedelta(seconds=self.clock)

    def transform(self, type_: str, name: str, version: str = "1", **extra: Any) -> uuid.UUID:
        tid = transform_id(type_, name, version)  # type: ignore[arg-type]
        at = self._tick()
        self.transforms.append(
            {
                "id": tid,
                "type": type_,
                "name": name,
                "version": version,
                "title": extra.get("title"),
                "reference": extra.get("reference"),
                "registered_at": at,
                "updated_at": at,
                "updated_event_id": uuid.uuid4(),
            }
        )
        return tid

    def run(
        self, transform: uuid.UUID | None, *, name: str | None = None, status: str = "STARTED"
    ) -> uuid.UUID:
        rid = uuid.uuid4()
        at = self._tick()
        self.runs.append(
            {
                "id": rid,
                "name": name,
                "transform_id": transform,
                "status": status,
                "started_at": at if transform else None,
                "finished_at": at if status != "STARTED" else None,
                "error": None,
                "started_event_id": uuid.uuid4() if transform else None,
                "finished_event_id": None,
                "first_seen_at": at,
            }
        )
        return rid

    def dobject(
        self,
        name: str,
        suffix: str,
        source: uuid.UUID | None = None,
        hash: str | None = None,
        size: int | None = None,
    ) -> uuid.UUID:
        did = uuid.uuid4()
        at = self._tick()
        version = None
        if source is not None:  # its one write, a version as the projector would keep it
            key = version_key(hash, None, source)
            version = dobject_version_id(did, key)
            event_id = uuid.uuid4()
            self.versions.append(
                {
                    "id": version,
                    "dobject_id": did,
                    "key": key,
                    "run_id": source,
                    "created_at": at,
                    "created_event_id": event_id,
                    "size": size,
                    "hash": hash,
                }
            )
            self.writes.append(
                {
                    "event_id": event_id,
                    "dobject_id": did,
                    "version_id": version,
                    "run_id": source,
                    "occurred_at": at,
                    "sequence": 0,
                }
            )
        self.dobjects.append(
            {
                "id": did,
                "name": name,
                "suffix": suffix,
                "size": size,
                "hash": hash,
                "uri": None,
                "created_at": at,
                "created_event_id": uuid.uuid4(),
                "source_run_id": source,
                "source_at": at if source else None,
                "source_event_id": uuid.uuid4() if source else None,
                "current_version_id": version,
            }
        )
        return did

    def load(self, run: uuid.UUID, dobject: uuid.UUID) -> None:
        self.inputs.append(
            {
                "run_id": run,
                "dobject_id": dobject,
                "loaded_at": self._tick(),
                "event_id": uuid.uuid4(),
            }
        )

    async def write(self, database_url: str, applied: int = 0) -> None:
        engine = create_engine(database_url)
        try:
            async with engine.begin() as conn:
                for table, rows in (
                    (transforms, self.transforms),
                    (runs, self.runs),
                    (dobjects, self.dobjects),
                    (run_inputs, self.inputs),
                    (dobject_versions, self.versions),
                    (dobject_writes, self.writes),
                ):
                    if rows:
                        await conn.execute(insert(table), rows)
                await set_applied(conn, applied)
        finally:
            await engine.dispose()
        self.transforms, self.runs, self.dobjects, self.inputs = [], [], [], []
        self.versions, self.writes = [], []


async def set_applied(conn: Any, sequence: int, notify: bool = False) -> None:
    """The projector's tracking row (and its NOTIFY, when asked)."""
    await conn.execute(
        text(
            "INSERT INTO projection.projection_state (id, applied_sequence) VALUES (1, :s) "
            "ON CONFLICT (id) DO UPDATE SET applied_sequence = :s"
        ),
        {"s": sequence},
    )
    if notify:
        await conn.execute(text("SELECT pg_notify('lineage_applied', :p)"), {"p": str(sequence)})


@asynccontextmanager
async def api_client(
    database_url: str, nats_url: str, **settings: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, Starlette]]:
    """The app with its lifespan running, and an httpx client speaking to it in-process."""
    app = create_app(Settings(database_url=database_url, nats_url=nats_url, **settings))
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(app.state.startup.ready.wait(), 30)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client, app


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The JSON answer of one GraphQL request (HTTP 200 expected)."""
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


__all__ = ["Seed", "api_client", "codes", "gql", "set_applied"]


def seed_graph() -> tuple[Seed, dict[str, uuid.UUID]]:
    """The seed program's graph: 10x run -> input.fastq.gz -> Cell Ranger run -> output.bam."""
    s = Seed()
    ids: dict[str, uuid.UUID] = {}
    ids["p10x"] = s.transform("pipeline", "10x scRNA-seq nextseq", "1", reference="ref")
    ids["pcr"] = s.transform("pipeline", "Cell Ranger", "7")
    ids["nb"] = s.transform("notebook", "analysis.ipynb", "1", title="Analysis")
    ids["r10x"] = s.run(ids["p10x"], status="COMPLETED")
    ids["fastq"] = s.dobject("input", ".fastq.gz", source=ids["r10x"], hash="h-fastq", size=5)
    ids["rcr"] = s.run(ids["pcr"], name="cr-run", status="COMPLETED")
    s.load(ids["rcr"], ids["fastq"])
    ids["bam"] = s.dobject("output", ".bam", source=ids["rcr"], hash="h-bam")
    s.load(ids["rcr"], ids["bam"])  # loading its own output: stored, never shown
    ids["rnb"] = s.run(ids["nb"], status="FAILED")
    s.load(ids["rnb"], ids["bam"])
    ids["orphan"] = s.run(None)  # known only from an output: no transform yet
    ids["iris"] = s.dobject("iris_new", ".csv", source=ids["orphan"])
    return s, ids
