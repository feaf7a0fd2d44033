"""How many datasets and jobs each OpenLineage namespace has (docs/reference/marquez.md):
the Marquez lists' `totalCount`, kept by the ingest as it registers new names, so that a
page of a namespace of 250,000 jobs does not count them all for every request.

And the search indexes of migration 0011 without GIN's pending list: with it, new names
wait in a list that every search reads whole until a vacuum merges it (a 118 ms search
where the merged index answers in 26 ms, bench/bench_marquez.py); each new name is
written into the index itself instead.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_SEARCH_INDEXES = (
    ("public", "marquez_datasets_name_grams_idx"),
    ("public", "marquez_jobs_name_grams_idx"),
    ("projection", "transforms_name_grams_idx"),
)


def upgrade() -> None:
    for column in ("dataset_count", "job_count"):
        op.add_column(
            "marquez_namespaces",
            sa.Column(column, sa.BigInteger, nullable=False, server_default=sa.text("0")),
            schema="public",
        )
    op.execute(
        """UPDATE public.marquez_namespaces n
              SET dataset_count = (SELECT count(*) FROM public.marquez_datasets d
                                    WHERE d.namespace = n.name),
                  job_count = (SELECT count(*) FROM public.marquez_jobs j
                                WHERE j.namespace = n.name)"""
    )
    for schema, index in _SEARCH_INDEXES:
        op.execute(f"ALTER INDEX {schema}.{index} SET (fastupdate = off)")
        op.execute(f"SELECT gin_clean_pending_list('{schema}.{index}'::regclass)")


def downgrade() -> None:
    for schema, index in _SEARCH_INDEXES:
        op.execute(f"ALTER INDEX {schema}.{index} RESET (fastupdate)")
    for column in ("dataset_count", "job_count"):
        op.drop_column("marquez_namespaces", column, schema="public")
