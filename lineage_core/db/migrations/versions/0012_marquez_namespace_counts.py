"""How many datasets and jobs each OpenLineage namespace has (docs/reference/marquez.md):
the Marquez lists' `totalCount`, kept by the ingest as it registers new names, so that a
page of a namespace of 250,000 jobs does not count them all for every request.

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


def downgrade() -> None:
    for column in ("dataset_count", "job_count"):
        op.drop_column("marquez_namespaces", column, schema="public")
