"""Covering indexes for the reads that go through dataset versions
(docs/reference/versions.md).

Every walk, `source`/`output` filter and input-edge test reads `dobject_versions` by
dobject (for its writer runs) or by run (for the dobjects it wrote, and "did this run
write the dobject it loaded"). With the run id, dobject id and created_at in the index
those are index-only scans: a dobject rewritten every night has its versions on as
many heap pages, one per night, which the lookups no longer visit.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SCHEMA = "projection"
TABLE = "dobject_versions"


def upgrade() -> None:
    op.drop_index("dobject_versions_order_idx", TABLE, schema=SCHEMA)
    op.drop_index("dobject_versions_run_id_idx", TABLE, schema=SCHEMA)
    op.create_index(
        "dobject_versions_order_idx",
        TABLE,
        ["dobject_id", "created_at", "id"],
        schema=SCHEMA,
        postgresql_include=["run_id", "key"],
    )
    op.create_index(
        "dobject_versions_run_id_idx",
        TABLE,
        ["run_id", "dobject_id"],
        schema=SCHEMA,
        postgresql_include=["created_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("dobject_versions_order_idx", TABLE, schema=SCHEMA)
    op.drop_index("dobject_versions_run_id_idx", TABLE, schema=SCHEMA)
    op.create_index(
        "dobject_versions_order_idx", TABLE, ["dobject_id", "created_at", "id"], schema=SCHEMA
    )
    op.create_index("dobject_versions_run_id_idx", TABLE, ["run_id"], schema=SCHEMA)
