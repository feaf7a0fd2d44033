"""The read model: every statement the services run against the projection, one module
per reader area, answering with frozen rows (rows.py) and never importing a web
framework; the GraphQL face and the OpenLineage/Marquez routes sit on it.

- `rows`: runs, dobjects and transforms as frozen rows, and the columns they come from;
- `errors`: what the read model refuses (bad input, not found, too complex);
- `shape`, `as_of`: one statement per relation, built per shape (now, or as of an
  instant), the instant's conditions;
- `filters`: filter values -> the WHERE clause of one statement (bound parameters);
- `pages`: keyset pages (sizes, cursors, the runs/dobjects/transforms page statements);
- `relations`: what the per-request loaders fetch, one statement per batch;
- `lineage`, `impact`, `column_lineage`, `run_diff`: the questions, one WITH RECURSIVE
  (or one plain) statement each;
- `status`: the projector's tracking row and the readiness ping;
- `openlineage`: raw OpenLineage documents (kept on ingest; facets and Marquez names);
- `tokens`: the API tokens' digests and last use;
- `database`: the pool, and the request's one connection.
"""
