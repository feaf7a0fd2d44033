"""POST /api/v1/lineage: OpenLineage events in, our lineage events out to JetStream.

Each event (or each of a JSON array of them) is validated, its raw document kept in
public.openlineage_events, its lineage published with `Nats-Msg-Id` = event id, and only
when every publish is acknowledged does the answer say 201, as Marquez's does.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from lineage_core import subjects
from lineage_core.events import Event, encode
from lineage_read.marquez.registry import register
from lineage_read.openlineage import RawEvent, keep_raw
from openlineage_api.facet_checks import facet_warnings
from openlineage_api.mapping import MappingError, event_time, map_event
from openlineage_api.marquez.registration import registrations
from openlineage_api.models import AnyEvent, DatasetEvent, RunEvent, parse_event
from openlineage_api.resources import Resources

MAX_BATCH = 1000


@dataclass(frozen=True)
class Interpreted:
    """One accepted OpenLineage document: what it maps to and its facet warnings."""

    document: dict[str, Any]
    event: AnyEvent
    lineage: list[Event]
    warnings: list[str]


@dataclass(frozen=True)
class Body:
    """An accepted request body: one document, or a JSON array of them (`batch`)."""

    items: list[Interpreted]
    batch: bool


def interpret(body: bytes) -> Body | str:
    """The events a request body means, or the reason it is refused (a 400). Pure: the
    fuzzer (bench/fuzz.py) drives it with any bytes and expects one or the other."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        return f"body is not JSON: {exc}"
    batch = isinstance(data, list)
    documents = data if batch else [data]
    if not documents or len(documents) > MAX_BATCH:
        return f"a batch holds 1 to {MAX_BATCH} events, got {len(documents)}"
    parsed: list[Interpreted] = []
    for index, document in enumerate(documents):
        where = f"event {index}: " if batch else ""
        try:
            event = parse_event(document)
            lineage = [] if isinstance(event, DatasetEvent) else map_event(event)
        except ValidationError as exc:
            return where + _schema_error(exc)
        except (ValueError, MappingError) as exc:
            return where + str(exc)
        parsed.append(Interpreted(document, event, lineage, facet_warnings(event)))
    return Body(parsed, batch)


async def post_lineage(request: Request) -> Response:
    """Accept one OpenLineage event or a JSON array of them (all or nothing)."""
    metrics = request.app.state.metrics
    interpreted = interpret(await request.body())
    if isinstance(interpreted, str):
        metrics.openlineage_events.labels("invalid").inc()
        return _bad(interpreted)
    batch = interpreted.batch
    parsed = [(p.document, p.event, p.lineage, p.warnings) for p in interpreted.items]

    resources: Resources = request.app.state.resources
    await _keep_raw(resources, parsed)
    # the names Marquez's routes list (docs/reference/marquez.md); a retry merges again
    await register(resources.primary, registrations((p[0], event_time(p[1])) for p in parsed))
    await _publish(resources, [e for _, _, lineage, _ in parsed for e in lineage])
    warnings = []
    for index, (_, _, _, found) in enumerate(parsed):
        metrics.openlineage_events.labels("accepted").inc()
        metrics.openlineage_facet_warnings.inc(len(found))
        warnings += [f"event {index}: {w}" if batch else w for w in found]
    return JSONResponse(
        {"accepted": len(parsed), "events": sum(len(p[2]) for p in parsed), "warnings": warnings},
        status_code=201,
    )


async def _keep_raw(resources: Resources, parsed: list[Any]) -> None:
    rows = []
    for document, event, _, found in parsed:
        job = getattr(event, "job", None)
        rows.append(
            RawEvent(
                run_id=event.run.runId if isinstance(event, RunEvent) else None,
                event_type=getattr(event, "eventType", None) or type(event).__name__,
                event_time=event_time(event),
                job_namespace=job.namespace if job else None,
                job_name=job.name if job else None,
                payload=document,
                warnings=found,
            )
        )
    await keep_raw(resources.primary, rows)  # a read replica takes no writes


async def _publish(resources: Resources, lineage: list[Event]) -> None:
    acks = [
        resources.js.publish(
            subjects.subject_for(e.event_type),
            encode(e),
            headers={subjects.MSG_ID_HEADER: str(e.event_id)},
        )
        for e in lineage
    ]
    await asyncio.gather(*acks)


def _schema_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "(event)"
        parts.append(f"{loc}: {err['msg']}")
    return "invalid OpenLineage event: " + "; ".join(parts)


def _bad(reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=400)
