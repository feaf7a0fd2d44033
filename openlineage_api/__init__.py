"""OpenLineage in and out: POST /api/v1/lineage ingest, GET /api/v1/lineage in Marquez's shape."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route


def routes() -> list[BaseRoute]:
    """The HTTP routes of the OpenLineage endpoints, mounted by graphql_api.app.create_app."""
    from openlineage_api.ingest import post_lineage
    from openlineage_api.marquez import get_lineage

    return [
        Route("/api/v1/lineage", post_lineage, methods=["POST"]),
        Route("/api/v1/lineage", get_lineage, methods=["GET"]),
    ]
