"""Schema version 2: run parents, dobject fields, column lineage (docs/reference/events.md).

Revision ID: 0004
Revises: 0003

Existing rows keep NULL in the new columns: version 1 events carry none of these
fields, so the projection stays what a rebuild from the raw log would give.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA = "projection"


def upgrade() -> None:
    op.add_column("runs", sa.Column("parent_run_id", sa.Uuid()), schema=SCHEMA)
    op.create_index("runs_parent_run_id_idx", "runs", ["parent_run_id"], schema=SCHEMA)
    op.add_column("dobjects", sa.Column("fields", JSONB()), schema=SCHEMA)
    op.add_column("dobjects", sa.Column("fields_at", sa.DateTime(timezone=True)), schema=SCHEMA)
    op.add_column("dobjects", sa.Column("fields_event_id", sa.Uuid()), schema=SCHEMA)
    op.create_table(
        "column_edges",
        sa.Column("target_dobject_id", sa.Uuid(), nullable=False),
        sa.Column("target_field", sa.Text(), nullable=False),
        sa.Column("source_dobject_id", sa.Uuid(), nullable=False),
        sa.Column("source_field", sa.Text(), nullable=False),
        sa.Column("transformation", sa.Text()),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint(
            "target_dobject_id", "target_field", "source_dobject_id", "source_field"
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "column_edges_source_idx",
        "column_edges",
        ["source_dobject_id", "source_field"],
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("column_edges", schema=SCHEMA)
    for column in ("fields_event_id", "fields_at", "fields"):
        op.drop_column("dobjects", column, schema=SCHEMA)
    op.drop_index("runs_parent_run_id_idx", table_name="runs", schema=SCHEMA)
    op.drop_column("runs", "parent_run_id", schema=SCHEMA)
