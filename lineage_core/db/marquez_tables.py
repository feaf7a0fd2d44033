"""The Marquez-shaped routes' registry of OpenLineage names (docs/reference/marquez.md).

Filled by the OpenLineage ingest from the documents it accepts; in `public` like those
documents, so `lineage rebuild` keeps it. Search reads the GIN indexes of the names'
three-letter pieces (migration 0011: core Postgres, no extension).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from lineage_core.db.metadata import RAW_SCHEMA, metadata

marquez_namespaces = Table(
    "marquez_namespaces",
    metadata,
    Column("name", Text, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # its registered datasets and jobs, counted by the ingest as it adds them (0012)
    Column("dataset_count", BigInteger, nullable=False, server_default=text("0")),
    Column("job_count", BigInteger, nullable=False, server_default=text("0")),
    schema=RAW_SCHEMA,
)

marquez_sources = Table(
    "marquez_sources",
    metadata,
    Column("name", Text, primary_key=True),
    Column("type", Text, nullable=False),
    Column("connection_url", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    schema=RAW_SCHEMA,
)

marquez_datasets = Table(
    "marquez_datasets",
    metadata,
    Column("namespace", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("dobject_id", Uuid, nullable=False, unique=True),
    Column("source_name", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("modified_at", DateTime(timezone=True)),  # its latest write by a run
    Column("fields", JSONB),  # the latest schema facet's fields
    Column("fields_at", DateTime(timezone=True)),
    Column("facets", JSONB, nullable=False),  # dataset facets, later events' keys winning
    Column("facets_at", DateTime(timezone=True)),
    Column("description", Text),
    PrimaryKeyConstraint("namespace", "name"),
    Index("marquez_datasets_name_idx", "name"),  # a common word's first search page, in order
    schema=RAW_SCHEMA,
)

marquez_aliases = Table(
    "marquez_aliases",
    metadata,
    Column("namespace", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("dobject_id", Uuid, nullable=False),
    PrimaryKeyConstraint("namespace", "name"),
    schema=RAW_SCHEMA,
)

marquez_jobs = Table(
    "marquez_jobs",
    metadata,
    Column("namespace", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("transform_name", Text, nullable=False, unique=True),  # its pipeline transform
    Column("type", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("facets", JSONB, nullable=False),
    Column("facets_at", DateTime(timezone=True)),
    Column("declared_inputs", JSONB),  # a JobEvent's inputs: [{namespace, name}]
    Column("declared_outputs", JSONB),
    Column("declared_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("namespace", "name"),
    Index("marquez_jobs_name_idx", "name"),  # a common word's first search page, in order
    schema=RAW_SCHEMA,
)

# a name's lowercase three-letter pieces (public.lineage_name_grams, migration 0011)
for _table in (marquez_datasets, marquez_jobs):
    Index(
        f"{_table.name}_name_grams_idx",
        func.lineage_name_grams(_table.c.name),
        postgresql_using="gin",
        postgresql_with={"fastupdate": "off"},  # no pending list for searches to read (0012)
    )
