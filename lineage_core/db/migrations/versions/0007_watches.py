"""Durable watches and their webhook deliveries (docs/reference/watches.md).

Revision ID: 0007
Revises: 0006

All in `public`: a rebuild of the projection must not lose a watch or what it delivered.
The detector's cursor starts at the projection's applied sequence: the changes of events
applied before this upgrade are history, not news.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SCHEMA = "public"


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "watches",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("root_id", sa.Uuid, nullable=False),
        sa.Column("root_kind", sa.Text, nullable=False),
        sa.Column("direction", sa.Text, nullable=False),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("kinds", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("from_sequence", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        schema=SCHEMA,
    )
    op.create_index("watches_root_idx", "watches", ["root_id"], schema=SCHEMA)
    op.create_table(
        "watch_deliveries",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("watch_id", sa.BigInteger, nullable=False),
        sa.Column("sequence", sa.BigInteger, nullable=False),
        sa.Column("ordinal", sa.SmallInteger, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("distance", sa.Integer, nullable=False),
        sa.Column("dobject_id", sa.Uuid),
        sa.Column("version_id", sa.Uuid),
        sa.Column("run_id", sa.Uuid),
        sa.Column("state", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()
        ),
        sa.Column("first_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        schema=SCHEMA,
    )
    op.create_index(
        "watch_deliveries_order_idx",
        "watch_deliveries",
        ["watch_id", "sequence", "ordinal"],
        unique=True,
        schema=SCHEMA,
    )
    op.create_index(
        "watch_deliveries_pending_idx",
        "watch_deliveries",
        ["watch_id", "sequence", "ordinal"],
        schema=SCHEMA,
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_table(
        "lineage_changes",
        sa.Column("sequence", sa.BigInteger, nullable=False),
        sa.Column("ordinal", sa.SmallInteger, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("node_id", sa.Uuid, nullable=False),
        sa.Column("node_kind", sa.Text, nullable=False),
        sa.Column("dobject_id", sa.Uuid),
        sa.Column("version_id", sa.Uuid),
        sa.Column("run_id", sa.Uuid),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        schema=SCHEMA,
    )
    op.create_index(
        "lineage_changes_order_idx",
        "lineage_changes",
        ["sequence", "ordinal"],
        unique=True,
        schema=SCHEMA,
    )
    op.create_table(
        "watch_detector",
        sa.Column("id", sa.SmallInteger, primary_key=True),
        sa.Column("sequence", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        schema=SCHEMA,
    )
    op.execute(
        "INSERT INTO public.watch_detector (id, sequence) "
        "SELECT 1, coalesce((SELECT applied_sequence FROM projection.projection_state "
        "WHERE id = 1), 0)"
    )


def downgrade() -> None:
    for table in ("watch_deliveries", "watches", "lineage_changes", "watch_detector"):
        op.drop_table(table, schema=SCHEMA)
