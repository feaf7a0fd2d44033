"""Indexes on the API's page orders (keyset pagination without a sort of the table).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = (
    ("transforms_registered_idx", "transforms", ["registered_at", "id"]),
    ("runs_first_seen_idx", "runs", ["first_seen_at", "id"]),
    ("dobjects_created_idx", "dobjects", ["created_at", "id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, schema="projection")


def downgrade() -> None:
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table, schema="projection")
