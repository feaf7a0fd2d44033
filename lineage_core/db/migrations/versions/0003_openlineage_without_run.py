"""OpenLineage dataset and job events have no run (and dataset events no job).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for column in ("run_id", "job_namespace", "job_name"):
        op.alter_column("openlineage_events", column, nullable=True, schema="public")


def downgrade() -> None:
    op.execute("DELETE FROM public.openlineage_events WHERE run_id IS NULL OR job_name IS NULL")
    for column in ("run_id", "job_namespace", "job_name"):
        op.alter_column("openlineage_events", column, nullable=False, schema="public")
