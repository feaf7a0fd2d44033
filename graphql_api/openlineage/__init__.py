"""OpenLineage in and out: POST /api/v1/lineage ingest and the Marquez-shaped read."""

from __future__ import annotations

from starlette.routing import BaseRoute


def routes() -> list[BaseRoute]:
    """The HTTP routes of the OpenLineage endpoints, mounted by graphql_api.app.create_app."""
    return []
