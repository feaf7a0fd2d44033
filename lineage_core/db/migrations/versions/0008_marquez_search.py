"""The Marquez-shaped routes' registry of OpenLineage names, and its name search
(docs/reference/marquez.md).

OpenLineage names (namespace, dataset and job names, sources, symlink aliases) are
kept in `public`, filled by the ingest from the documents it accepts: like the raw
documents they are never dropped by `lineage rebuild`, so the indexes below survive
it. Name search uses pg_trgm's GIN indexes where the server has the extension
(the embedded Postgres of `lineage up` does not: there search scans the names).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def _times() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "marquez_namespaces",
        sa.Column("name", sa.Text, primary_key=True),
        *_times(),
        schema="public",
    )
    op.create_table(
        "marquez_sources",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("connection_url", sa.Text, nullable=False),
        *_times(),
        schema="public",
    )
    op.create_table(
        "marquez_datasets",
        sa.Column("namespace", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("dobject_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("source_name", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        *_times(),
        sa.Column("modified_at", _TS),
        sa.Column("fields", postgresql.JSONB),
        sa.Column("fields_at", _TS),
        sa.Column("facets", postgresql.JSONB, nullable=False),
        sa.Column("facets_at", _TS),
        sa.Column("description", sa.Text),
        sa.PrimaryKeyConstraint("namespace", "name"),
        schema="public",
    )
    op.create_table(
        "marquez_aliases",
        sa.Column("namespace", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("dobject_id", sa.Uuid, nullable=False),
        sa.PrimaryKeyConstraint("namespace", "name"),
        schema="public",
    )
    op.create_table(
        "marquez_jobs",
        sa.Column("namespace", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("transform_name", sa.Text, nullable=False, unique=True),
        sa.Column("type", sa.Text, nullable=False),
        *_times(),
        sa.Column("facets", postgresql.JSONB, nullable=False),
        sa.Column("facets_at", _TS),
        sa.Column("declared_inputs", postgresql.JSONB),
        sa.Column("declared_outputs", postgresql.JSONB),
        sa.Column("declared_at", _TS),
        sa.PrimaryKeyConstraint("namespace", "name"),
        schema="public",
    )
    op.create_index(
        "openlineage_events_time_idx", "openlineage_events", ["event_time", "id"], schema="public"
    )
    # a common word's first page comes faster in name order than from the trigram index
    for table in ("marquez_datasets", "marquez_jobs"):
        op.create_index(f"{table}_name_idx", table, ["name"], schema="public")
    trgm = op.get_bind().execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
    )
    if trgm.first() is not None:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table in ("marquez_datasets", "marquez_jobs"):
            op.create_index(
                f"{table}_name_trgm_idx",
                table,
                ["name"],
                postgresql_using="gin",
                postgresql_ops={"name": "gin_trgm_ops"},
                schema="public",
            )


def downgrade() -> None:
    op.drop_index("openlineage_events_time_idx", "openlineage_events", schema="public")
    for table in (
        "marquez_jobs",
        "marquez_aliases",
        "marquez_datasets",
        "marquez_sources",
        "marquez_namespaces",
    ):
        op.drop_table(table, schema="public")
