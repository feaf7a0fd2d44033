"""When a webhook delivery last failed (docs/reference/watches.md): the admin listing of
watches shows each watch's last failure with its time, and a delivery still being
retried has no other record of when its last attempt failed (its next_attempt_at is
the next try).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "watch_deliveries",
        sa.Column("last_failed_at", sa.DateTime(timezone=True)),
        schema="public",
    )
    # deliveries given up before: they failed when they finished
    op.execute(
        "UPDATE public.watch_deliveries SET last_failed_at = finished_at WHERE state = 'failed'"
    )


def downgrade() -> None:
    op.drop_column("watch_deliveries", "last_failed_at", schema="public")
