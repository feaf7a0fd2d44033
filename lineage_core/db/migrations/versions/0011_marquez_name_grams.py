"""Name search without pg_trgm, and a facet merge the Marquez routes aggregate with
(docs/reference/marquez.md).

`public.lineage_name_grams(name)` is the set of a name's lowercase three-letter pieces;
GIN indexes over it (core Postgres, no extension) find the names that hold every piece
of a search text, which the routes then check with ILIKE. So search is indexed on every
server, the embedded Postgres of `lineage up` too, and the same way: pg_trgm's indexes
of migration 0008 are dropped. The SDK's transform names get the same index (in the
projection, which `lineage rebuild` recreates from the table definitions).

`public.lineage_jsonb_merge(jsonb)` merges objects in input order, later keys winning:
a run's facets over its events, without expanding every event into rows.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_INDEXED = (
    ("public", "marquez_datasets"),
    ("public", "marquez_jobs"),
    ("projection", "transforms"),
)


def upgrade() -> None:
    op.execute(
        """CREATE FUNCTION public.lineage_name_grams(name text) RETURNS text[]
           LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
             SELECT coalesce(array_agg(DISTINCT substr(lower(name), i, 3)), '{}')
               FROM generate_series(1, length(name) - 2) AS i
           $$"""
    )
    op.execute(
        """CREATE AGGREGATE public.lineage_jsonb_merge(jsonb)
           (SFUNC = jsonb_concat, STYPE = jsonb, INITCOND = '{}')"""
    )
    for schema, table in _INDEXED:
        op.execute(
            f"CREATE INDEX {table}_name_grams_idx ON {schema}.{table}"
            " USING gin (public.lineage_name_grams(name))"
        )
    for table in ("marquez_datasets", "marquez_jobs"):
        op.execute(f"DROP INDEX IF EXISTS public.{table}_name_trgm_idx")


def downgrade() -> None:
    for schema, table in _INDEXED:
        op.execute(f"DROP INDEX IF EXISTS {schema}.{table}_name_grams_idx")
    op.execute("DROP AGGREGATE public.lineage_jsonb_merge(jsonb)")
    op.execute("DROP FUNCTION public.lineage_name_grams(text)")
