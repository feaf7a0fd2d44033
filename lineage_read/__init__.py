"""Every statement the API runs against Postgres, one module per reader area, rows
mapped by column name (as Marquez keeps its SQL in DAOs):

- `rows`: the column lists of runs, dobjects and transforms, and rows -> GraphQL objects;
- `filters`: filter inputs -> the WHERE clause of one statement (bound parameters);
- `pages`: keyset pages (sizes, cursors, the runs/dobjects/transforms page statements);
- `relations`: what the per-request DataLoaders fetch, one statement per batch;
- `lineage`: the lineage walk, one WITH RECURSIVE statement;
- `status`: the projector's tracking row and the readiness ping;
- `openlineage`: raw OpenLineage documents (kept on ingest; facets and Marquez names).
"""
