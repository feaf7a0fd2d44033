"""Marquez's REST API under /api/v1, read side (docs/reference/marquez.md): every read
route Marquez 0.50.0 serves, in its shapes; its write routes answer 405, naming
OpenLineage ingest (POST /api/v1/lineage), which is how lineage gets in."""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from openlineage_api.marquez import activity_routes as act
from openlineage_api.marquez import catalog_routes as cat
from openlineage_api.marquez import graph_routes as gr
from openlineage_api.marquez.router import Pattern, Router, pattern

_NS: Final = "namespaces/{ns}"
_DS: Final = f"{_NS}/datasets/{{ds}}"
_JOB: Final = f"{_NS}/jobs/{{job}}"

PATTERNS: Final[list[Pattern]] = [
    pattern("namespaces", "GET", cat.list_namespaces),
    pattern(_NS, "GET", cat.get_namespace),
    pattern(_NS, "PUT DELETE", None),
    pattern("sources", "GET", cat.list_sources),
    pattern("sources/{source}", "GET", cat.get_source),
    pattern("sources/{source}", "PUT", None),
    pattern("tags", "GET", cat.list_tags),
    pattern("tags/{tag}", "PUT", None),
    pattern(f"{_NS}/datasets", "GET", cat.list_datasets),
    pattern(_DS, "GET", cat.get_dataset),
    pattern(_DS, "PUT DELETE", None),
    pattern(f"{_DS}/versions", "GET", cat.list_dataset_versions),
    pattern(f"{_DS}/versions/{{version}}", "GET", cat.get_dataset_version),
    pattern(f"{_DS}/tags/{{tag}}", "POST DELETE", None),
    pattern(f"{_DS}/fields/{{field}}/tags/{{tag}}", "POST DELETE", None),
    pattern("jobs", "GET", cat.list_all_jobs),
    pattern(f"{_NS}/jobs", "GET", cat.list_jobs),
    pattern(_JOB, "GET", cat.get_job),
    pattern(_JOB, "PUT DELETE", None),
    pattern(f"{_JOB}/versions", "GET", cat.list_job_versions),
    pattern(f"{_JOB}/versions/{{version}}", "GET", cat.get_job_version),
    pattern(f"{_JOB}/runs", "GET", cat.list_job_runs),
    pattern(f"{_JOB}/runs", "POST", None),
    pattern(f"{_JOB}/tags/{{tag}}", "POST DELETE", None),
    pattern("jobs/runs/{id}", "GET", cat.get_run),
    pattern("jobs/runs/{id}/facets", "GET", cat.get_run_facets),
    *(
        pattern(f"jobs/runs/{{id}}/{action}", "POST", None)
        for action in ("start", "complete", "fail", "abort")
    ),
    pattern("lineage", "GET", gr.get_lineage),
    pattern("column-lineage", "GET", gr.get_column_lineage),
    pattern("runlineage/upstream", "GET", gr.get_run_lineage),
    pattern("events/lineage", "GET", act.lineage_events),
    # marquez-python's list_events asks for these; Marquez itself has only events/lineage
    pattern("events", "GET", act.lineage_events),
    pattern("events/{ns}", "GET", act.lineage_events),
    pattern("search", "GET", act.search),
    pattern("stats/{kind}", "GET", act.stats),
]

router: Final = Router(PATTERNS)


async def serve(request: Request) -> Response:
    """The one endpoint of every Marquez route (a function, as Starlette's Route wants)."""
    return await router(request)
