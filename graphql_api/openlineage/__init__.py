"""OpenLineage in: POST /api/v1/lineage maps RunEvents to lineage events on JetStream."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route


def routes() -> list[BaseRoute]:
    """The HTTP routes of the OpenLineage endpoints, mounted by graphql_api.app.create_app."""
    from graphql_api.openlineage.ingest import post_lineage

    return [Route("/api/v1/lineage", post_lineage, methods=["POST"])]
