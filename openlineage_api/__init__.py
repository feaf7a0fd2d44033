"""OpenLineage in and out: POST /api/v1/lineage ingest, GET /api/v1/lineage in Marquez's shape."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route


def routes() -> list[BaseRoute]:
    """The HTTP routes of the OpenLineage endpoints, mounted by http_edge.app.create_app."""
    from openlineage_api.ingest import post_lineage
    from openlineage_api.marquez import serve

    return [
        Route("/api/v1/lineage", post_lineage, methods=["POST"]),
        # every other method and path under /api/v1: Marquez's REST API (reads, 405s, 404s)
        Route(
            "/api/v1/{path:path}",
            serve,
            methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"],
        ),
    ]
