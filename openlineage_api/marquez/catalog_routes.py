"""Namespaces, sources, tags, datasets, jobs and runs in Marquez's shapes
(docs/reference/marquez.md). Each answer is JSON Postgres built (lineage_read.marquez)."""

from __future__ import annotations

import uuid
from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from lineage_read.database import RequestDb
from lineage_read.marquez import catalog, runs, versions
from lineage_read.marquez.catalog import Page
from openlineage_api.marquez.params import bad, choice, not_found, paging, run_uuid

RUN_STATES: Final = ("NEW", "RUNNING", "COMPLETED", "FAILED", "ABORTED")
JSON: Final = "application/json"


def raw(text: str) -> Response:
    return Response(text, media_type=JSON)


def listing(key: str, page: Page, *, total: bool = True) -> Response:
    """`{key: [...], "totalCount": N}`, from items that are JSON already."""
    body = f'{{"{key}":[{",".join(page.items)}]'
    return raw(body + (f',"totalCount":{page.total}}}' if total else "}"))


async def list_namespaces(request: Request, db: RequestDb, _: dict[str, str]) -> Response:
    limit, offset = paging(request.query_params)
    return listing("namespaces", await catalog.namespaces(db, limit, offset), total=False)


async def get_namespace(_request: Request, db: RequestDb, p: dict[str, str]) -> Response:
    page = await catalog.namespaces(db, 1, 0, p["ns"])
    if not page.items:
        raise not_found(f"Namespace '{p['ns']}' not found.")
    return raw(page.items[0])


async def list_sources(request: Request, db: RequestDb, _: dict[str, str]) -> Response:
    limit, offset = paging(request.query_params)
    return listing("sources", await catalog.sources(db, limit, offset), total=False)


async def get_source(_request: Request, db: RequestDb, p: dict[str, str]) -> Response:
    page = await catalog.sources(db, 1, 0, p["source"])
    if not page.items:
        raise not_found(f"Source '{p['source']}' not found.")
    return raw(page.items[0])


async def list_tags(request: Request, _db: RequestDb, _: dict[str, str]) -> Response:
    paging(request.query_params)  # checked like Marquez's; no tags are kept here
    return raw('{"tags":[]}')


async def _namespace(db: RequestDb, name: str) -> None:
    if not (await catalog.namespaces(db, 1, 0, name)).items:
        raise not_found(f"Namespace '{name}' not found.")


async def list_datasets(request: Request, db: RequestDb, p: dict[str, str]) -> Response:
    limit, offset = paging(request.query_params)
    await _namespace(db, p["ns"])
    return listing("datasets", await catalog.datasets(db, p["ns"], limit, offset))


async def dataset_ref(db: RequestDb, namespace: str, name: str) -> catalog.DatasetRef:
    found = await catalog.resolve_dataset(db, namespace, name)
    if found is None:
        raise not_found(f"Dataset '{name}' not found.")
    return found


async def get_dataset(_request: Request, db: RequestDb, p: dict[str, str]) -> Response:
    found = await dataset_ref(db, p["ns"], p["ds"])
    item = await catalog.dataset(db, found.dobject_id)
    if item is None:
        raise not_found(f"Dataset '{p['ds']}' not found.")
    return raw(item)


def _states(request: Request) -> list[str] | None:
    """lastRunStates, repeated or comma separated, any case; None: every job."""
    given = [s for g in request.query_params.getlist("lastRunStates") for s in g.split(",")]
    states = [s.strip().upper() for s in given if s.strip()]
    for state in states:
        if state not in RUN_STATES:
            raise bad(f"query param lastRunStates must be among {', '.join(RUN_STATES)}")
    return states or None


async def list_all_jobs(request: Request, db: RequestDb, _: dict[str, str]) -> Response:
    limit, offset = paging(request.query_params)
    return listing("jobs", await catalog.jobs(db, None, _states(request), limit, offset))


async def list_jobs(request: Request, db: RequestDb, p: dict[str, str]) -> Response:
    limit, offset = paging(request.query_params)
    await _namespace(db, p["ns"])
    return listing("jobs", await catalog.jobs(db, p["ns"], _states(request), limit, offset))


async def get_job(_request: Request, db: RequestDb, p: dict[str, str]) -> Response:
    item = await catalog.job(db, p["ns"], p["job"])
    if item is None:
        raise not_found(f"Job '{p['job']}' not found.")
    return raw(item)


async def list_job_runs(request: Request, db: RequestDb, p: dict[str, str]) -> Response:
    limit, offset = paging(request.query_params)
    transform = await catalog.job_transform(db, p["ns"], p["job"])
    if transform is None:
        raise not_found(f"Job '{p['job']}' not found.")
    return listing("runs", await runs.job_runs(db, transform, limit, offset))


async def list_job_versions(request: Request, db: RequestDb, p: dict[str, str]) -> Response:
    limit, offset = paging(request.query_params)
    if await catalog.job_transform(db, p["ns"], p["job"]) is None:
        raise not_found(f"Job '{p['job']}' not found.")
    page = await runs.job_versions(db, p["ns"], p["job"], limit=limit, offset=offset)
    return listing("versions", page, total=False)


async def get_job_version(_request: Request, db: RequestDb, p: dict[str, str]) -> Response:
    version = run_uuid(p["version"])
    page = await runs.job_versions(db, p["ns"], p["job"], limit=1, offset=0, version=version)
    if not page.items:
        raise not_found(f"Job version '{p['version']}' not found.")
    return raw(page.items[0])


async def get_run(_request: Request, db: RequestDb, p: dict[str, str]) -> Response:
    item = await runs.run(db, run_uuid(p["id"]))
    if item is None:
        raise not_found(f"Run '{p['id']}' not found.")
    return raw(item)


async def get_run_facets(request: Request, db: RequestDb, p: dict[str, str]) -> Response:
    kind = choice(request.query_params, "type", ("RUN", "JOB"), None)
    if kind is None:
        raise bad("query param type must be one of RUN, JOB")
    run_id = run_uuid(p["id"])
    facets = await runs.facets(db, run_id, kind.lower())
    if facets is None:
        raise not_found(f"Run '{p['id']}' not found.")
    return raw(f'{{"runId":"{run_id}","facets":{facets}}}')


async def list_dataset_versions(request: Request, db: RequestDb, p: dict[str, str]) -> Response:
    limit, offset = paging(request.query_params)
    found = await dataset_ref(db, p["ns"], p["ds"])
    page = await versions.dataset_versions(db, found.dobject_id, limit=limit, offset=offset)
    return listing("versions", page)


async def get_dataset_version(_request: Request, db: RequestDb, p: dict[str, str]) -> Response:
    found = await dataset_ref(db, p["ns"], p["ds"])
    try:
        version = uuid.UUID(p["version"])
    except ValueError:
        raise not_found(f"Dataset version '{p['version']}' not found.") from None
    page = await versions.dataset_versions(db, found.dobject_id, limit=1, offset=0, version=version)
    if not page.items:
        raise not_found(f"Dataset version '{p['version']}' not found.")
    return raw(page.items[0])
