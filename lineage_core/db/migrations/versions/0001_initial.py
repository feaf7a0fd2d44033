"""Raw event log, OpenLineage log, projection tables and tracking row.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS projection")

    op.create_table(
        "raw_events",
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column("sequence", sa.BigInteger, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("run_id", sa.Uuid),
        sa.Column("occurred_at", TZ, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("received_at", TZ, nullable=False, server_default=sa.text("now()")),
        schema="public",
    )
    op.create_index("raw_events_sequence_idx", "raw_events", ["sequence"], schema="public")
    op.create_index("raw_events_run_id_idx", "raw_events", ["run_id"], schema="public")
    # The raw log is append-only: it is the source of every rebuild.
    op.execute(
        """
        CREATE FUNCTION public.raw_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'raw_events is append-only (% refused)', TG_OP;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER raw_events_append_only BEFORE UPDATE OR DELETE ON public.raw_events "
        "FOR EACH ROW EXECUTE FUNCTION public.raw_events_append_only()"
    )
    op.execute(
        "CREATE TRIGGER raw_events_no_truncate BEFORE TRUNCATE ON public.raw_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION public.raw_events_append_only()"
    )

    op.create_table(
        "openlineage_events",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Uuid, nullable=False),
        sa.Column("event_type", sa.Text),
        sa.Column("event_time", TZ, nullable=False),
        sa.Column("job_namespace", sa.Text, nullable=False),
        sa.Column("job_name", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("warnings", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("received_at", TZ, nullable=False, server_default=sa.text("now()")),
        schema="public",
    )
    op.create_index(
        "openlineage_events_run_id_idx", "openlineage_events", ["run_id"], schema="public"
    )

    create_projection("projection")


def create_projection(schema: str) -> None:
    op.create_table(
        "transforms",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("version", sa.Text, nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("reference", sa.Text),
        sa.Column("registered_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("updated_event_id", sa.Uuid, nullable=False),
        schema=schema,
    )
    op.create_index("transforms_name_idx", "transforms", ["name", "version"], schema=schema)
    op.create_table(
        "runs",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.Text),
        sa.Column("transform_id", sa.Uuid),
        sa.Column("status", sa.Text, nullable=False, server_default="STARTED"),
        sa.Column("started_at", TZ),
        sa.Column("finished_at", TZ),
        sa.Column("error", sa.Text),
        sa.Column("started_event_id", sa.Uuid),
        sa.Column("finished_event_id", sa.Uuid),
        sa.Column("first_seen_at", TZ, nullable=False),
        schema=schema,
    )
    op.create_index("runs_transform_id_idx", "runs", ["transform_id"], schema=schema)
    op.create_index("runs_status_idx", "runs", ["status"], schema=schema)
    op.create_table(
        "dobjects",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("suffix", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger),
        sa.Column("hash", sa.Text),
        sa.Column("uri", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_event_id", sa.Uuid, nullable=False),
        sa.Column("source_run_id", sa.Uuid),
        sa.Column("source_at", TZ),
        sa.Column("source_event_id", sa.Uuid),
        schema=schema,
    )
    op.create_index("dobjects_name_suffix_idx", "dobjects", ["name", "suffix"], schema=schema)
    op.create_index("dobjects_hash_idx", "dobjects", ["hash"], schema=schema)
    op.create_index("dobjects_source_run_id_idx", "dobjects", ["source_run_id"], schema=schema)
    op.create_table(
        "run_inputs",
        sa.Column("run_id", sa.Uuid, nullable=False),
        sa.Column("dobject_id", sa.Uuid, nullable=False),
        sa.Column("loaded_at", TZ, nullable=False),
        sa.Column("event_id", sa.Uuid, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "dobject_id"),
        schema=schema,
    )
    op.create_index("run_inputs_dobject_id_idx", "run_inputs", ["dobject_id"], schema=schema)
    op.create_table(
        "projection_state",
        sa.Column("id", sa.SmallInteger, primary_key=True),
        sa.Column("applied_sequence", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("last_event_at", TZ),
        sa.Column("updated_at", TZ, nullable=False, server_default=sa.text("now()")),
        schema=schema,
    )
    op.execute(f"INSERT INTO {schema}.projection_state (id, applied_sequence) VALUES (1, 0)")


def downgrade() -> None:
    op.execute("DROP SCHEMA IF EXISTS projection CASCADE")
    op.drop_table("openlineage_events", schema="public")
    op.drop_table("raw_events", schema="public")
    op.execute("DROP FUNCTION IF EXISTS public.raw_events_append_only()")
