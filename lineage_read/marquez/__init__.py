"""The read model of the Marquez-shaped routes (docs/reference/marquez.md): OpenLineage
names kept by the ingest, and the statements that answer Marquez's REST API. Every
answer is built in SQL, most as JSON text the route sends as it is."""
