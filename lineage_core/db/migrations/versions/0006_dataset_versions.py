"""Dataset versions: every write of a dobject kept (docs/reference/versions.md).

Revision ID: 0006
Revises: 0005

The projection before this revision kept one source run per dobject and dropped every
later write; the raw log holds them all. So this revision adds the tables and columns
and marks the projection for a rebuild (`projection_state.rebuild_required`): the
projector rebuilds from the raw log before it consumes anything (the set-based rebuild,
measured in bench/bench_rebuild.py), and the projection then shows every write. Until
then the old rows stay readable, with no versions.

The rebuild derives version ids (uuid5) in SQL with uuid-ossp's `uuid_generate_v5`; the
extension is created here where the server has it (a Postgres without it, the embedded
one, rebuilds by folding in Python instead).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SCHEMA = "projection"
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("dobjects", sa.Column("current_version_id", sa.Uuid()), schema=SCHEMA)
    op.add_column("run_inputs", sa.Column("hash", sa.Text()), schema=SCHEMA)
    op.add_column("run_inputs", sa.Column("label", sa.Text()), schema=SCHEMA)
    op.add_column(
        "projection_state",
        sa.Column("rebuild_required", sa.Boolean(), nullable=False, server_default=sa.false()),
        schema=SCHEMA,
    )
    op.create_table(
        "dobject_versions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("dobject_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_event_id", sa.Uuid(), nullable=False),
        sa.Column("size", sa.BigInteger()),
        sa.Column("hash", sa.Text()),
        sa.Column("label", sa.Text()),
        sa.Column("fields", JSONB()),
        sa.Column("fields_at", TZ),
        sa.Column("fields_event_id", sa.Uuid()),
        schema=SCHEMA,
    )
    op.create_index(
        "dobject_versions_order_idx",
        "dobject_versions",
        ["dobject_id", "created_at", "id"],
        schema=SCHEMA,
    )
    op.create_index("dobject_versions_run_id_idx", "dobject_versions", ["run_id"], schema=SCHEMA)
    op.create_table(
        "dobject_writes",
        sa.Column("event_id", sa.Uuid(), primary_key=True),
        sa.Column("dobject_id", sa.Uuid(), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", TZ, nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        schema=SCHEMA,
    )
    op.create_index(
        "dobject_writes_dobject_idx", "dobject_writes", ["dobject_id", "occurred_at"], schema=SCHEMA
    )
    # Only a projection that has seen a registration lacks anything.
    op.execute(
        "UPDATE projection.projection_state SET rebuild_required = EXISTS ("
        "SELECT 1 FROM public.raw_events WHERE event_type IN ('InputLoaded', 'OutputRegistered'))"
    )
    _uuid_ossp_if_available()


def _uuid_ossp_if_available() -> None:
    bind = op.get_bind()
    available = bind.exec_driver_sql(
        "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'uuid-ossp')"
    ).scalar()
    if not available:
        return
    savepoint = bind.begin_nested()
    try:
        bind.exec_driver_sql('CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public')
    except sa.exc.DBAPIError:  # not allowed to: the rebuild folds in Python instead
        savepoint.rollback()
    else:
        savepoint.commit()


def downgrade() -> None:
    op.drop_table("dobject_writes", schema=SCHEMA)
    op.drop_table("dobject_versions", schema=SCHEMA)
    op.drop_column("projection_state", "rebuild_required", schema=SCHEMA)
    op.drop_column("run_inputs", "label", schema=SCHEMA)
    op.drop_column("run_inputs", "hash", schema=SCHEMA)
    op.drop_column("dobjects", "current_version_id", schema=SCHEMA)
