"""SQLAlchemy Core tables.

Two schemas with different lives:
- `public` keeps what is never dropped: the append-only raw event log (the source of
  every rebuild) and the raw OpenLineage documents.
- `projection` is disposable: the lineage tables and the tracking row of the last
  applied stream sequence. `lineage rebuild` builds a fresh copy in a shadow schema
  (see PROJECTION_SCHEMA / schema_translate_map) and swaps it in one transaction.

Projection tables carry no foreign keys on purpose: events arrive in any order
(an output before its RunStarted), and each rule is kept by the projector.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, BYTEA, JSONB

from lineage_core.db.metadata import PROJECTION_SCHEMA, RAW_SCHEMA, metadata

# --- the raw log (never dropped) --------------------------------------------------

raw_events = Table(
    "raw_events",
    metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("sequence", BigInteger, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("run_id", Uuid),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("subject", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Index("raw_events_sequence_idx", "sequence"),
    Index("raw_events_run_id_idx", "run_id"),
    schema=RAW_SCHEMA,
)

openlineage_events = Table(
    "openlineage_events",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("run_id", Uuid),  # null for dataset and job events
    Column("event_type", Text),
    Column("event_time", DateTime(timezone=True), nullable=False),
    Column("job_namespace", Text),  # null for dataset events
    Column("job_name", Text),
    Column("payload", JSONB, nullable=False),
    Column("warnings", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Index("openlineage_events_run_id_idx", "run_id"),
    Index("openlineage_events_time_idx", "event_time", "id"),  # Marquez's events/lineage
    schema=RAW_SCHEMA,
)

# API tokens (docs/reference/tokens.md): only a SHA-256 of each token is kept. They live in
# `public` because `lineage rebuild` replaces the projection schema, never this one.
# A revoked token keeps its row (revoked_at set) and frees its name for a new token.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("token_hash", BYTEA, nullable=False, unique=True),
    Column("scopes", ARRAY(Text), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Index(
        "api_tokens_live_name_idx",
        "name",
        unique=True,
        postgresql_where=text("revoked_at IS NULL"),
    ),
    schema=RAW_SCHEMA,
)

# --- the projection (disposable, rebuilt from raw_events) ------------------------

transforms = Table(
    "transforms",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("type", Text, nullable=False),  # 'notebook' | 'pipeline'
    Column("name", Text, nullable=False),
    Column("version", Text, nullable=False),
    Column("title", Text),
    Column("reference", Text),
    Column("registered_at", DateTime(timezone=True), nullable=False),  # earliest occurred_at
    Column("updated_at", DateTime(timezone=True), nullable=False),  # occurred_at of title/reference
    Column("updated_event_id", Uuid, nullable=False),
    Index("transforms_name_idx", "name", "version"),
    Index("transforms_registered_idx", "registered_at", "id"),  # the API's page order
    schema=PROJECTION_SCHEMA,
)
# Name search of the Marquez routes: the name's three-letter pieces (migration 0011).
Index(
    "transforms_name_grams_idx",
    func.lineage_name_grams(transforms.c.name),
    postgresql_using="gin",
    postgresql_with={"fastupdate": "off"},  # no pending list for searches to read (0012)
)

runs = Table(
    "runs",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", Text),
    Column("transform_id", Uuid),  # null until RunStarted is projected
    Column("status", Text, nullable=False, server_default="STARTED"),  # STARTED|COMPLETED|FAILED
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("error", Text),
    Column("started_event_id", Uuid),
    Column("finished_event_id", Uuid),
    Column(
        "first_seen_at", DateTime(timezone=True), nullable=False
    ),  # earliest occurred_at of the run
    # The run that started this one: from the earliest RunStarted, like transform_id.
    Column("parent_run_id", Uuid),
    Index("runs_transform_id_idx", "transform_id"),
    Index("runs_parent_run_id_idx", "parent_run_id"),
    Index("runs_status_idx", "status"),
    Index("runs_first_seen_idx", "first_seen_at", "id"),  # the API's page order
    schema=PROJECTION_SCHEMA,
)

# A dobject is a dataset's identity; each write of it is a version (dobject_versions).
# name, suffix, size, hash, uri and created_at come from the earliest event naming it;
# the API shows the current version's hash, size and fields where there is one.
dobjects = Table(
    "dobjects",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", Text, nullable=False),
    Column("suffix", Text, nullable=False),
    Column("size", BigInteger),
    Column("hash", Text),
    Column("uri", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),  # earliest occurred_at
    Column("created_event_id", Uuid, nullable=False),
    # Derived from dobject_writes after every batch: the current version's run, created_at
    # and event (and, below, the current version: the version of the latest write, ties
    # to the later version).
    Column("source_run_id", Uuid),
    Column("source_at", DateTime(timezone=True)),
    Column("source_event_id", Uuid),
    # Its schema as registrations carried it, [{name, type, description}] in the
    # producer's order, from the earliest InputLoaded or OutputRegistered (by occurred_at,
    # event_id) that carries fields: what a dobject no run wrote shows.
    Column("fields", JSONB),
    Column("fields_at", DateTime(timezone=True)),
    Column("fields_event_id", Uuid),
    Column("current_version_id", Uuid),  # last, where migration 0006 added it
    Index("dobjects_name_suffix_idx", "name", "suffix"),
    Index("dobjects_hash_idx", "hash"),
    Index("dobjects_source_run_id_idx", "source_run_id"),
    Index("dobjects_created_idx", "created_at", "id"),  # the API's page order
    schema=PROJECTION_SCHEMA,
)

# One row per version of a dobject (docs/reference/versions.md): keyed by the
# registration's hash ('hash:<h>'), else its label ('label:<l>'), else its run
# ('run:<run_id>'); id = uuid5(NAMESPACE_URL, f"lineage:dobject-version/{dobject_id}/{key}").
# run_id, created_at, size, hash and label come from its earliest registration by
# (occurred_at, event_id), fields from the earliest one carrying fields.
dobject_versions = Table(
    "dobject_versions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("dobject_id", Uuid, nullable=False),
    Column("key", Text, nullable=False),
    Column("run_id", Uuid, nullable=False),  # its producer
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_event_id", Uuid, nullable=False),
    Column("size", BigInteger),
    Column("hash", Text),
    Column("label", Text),
    Column("fields", JSONB),
    Column("fields_at", DateTime(timezone=True)),
    Column("fields_event_id", Uuid),
    # covering (migration 0009): writers by dobject, dobjects written by run, index-only
    Index(
        "dobject_versions_order_idx",
        "dobject_id",
        "created_at",
        "id",
        postgresql_include=["run_id", "key"],
    ),
    Index(
        "dobject_versions_run_id_idx",
        "run_id",
        "dobject_id",
        postgresql_include=["created_at", "id"],
    ),
    schema=PROJECTION_SCHEMA,
)

# Every OutputRegistered (a registration, a write of one version), with its event's
# stream sequence. The current version of a dobject as of T is the version of its latest
# write by occurred_at <= T, ties to the later version in (created_at, id) order.
dobject_writes = Table(
    "dobject_writes",
    metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("dobject_id", Uuid, nullable=False),
    Column("version_id", Uuid, nullable=False),
    Column("run_id", Uuid, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Index("dobject_writes_dobject_idx", "dobject_id", "occurred_at"),
    schema=PROJECTION_SCHEMA,
)

# Inputs as loaded, from the run's earliest InputLoaded of the dobject; its hash and
# label bind the input to a version at read time (hash match, else label match, else
# the latest version created at or before loaded_at). An edge to a dobject of which the
# same run produced a version is kept here but never shown.
run_inputs = Table(
    "run_inputs",
    metadata,
    Column("run_id", Uuid, nullable=False),
    Column("dobject_id", Uuid, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("hash", Text),
    Column("label", Text),
    PrimaryKeyConstraint("run_id", "dobject_id"),
    Index("run_inputs_dobject_id_idx", "dobject_id"),
    schema=PROJECTION_SCHEMA,
)

# Field-to-field lineage, data flowing source -> target. A dobject's edges all come from
# its earliest OutputRegistered (by occurred_at, event_id) that carries column_lineage, so
# every edge of one target carries that event's stamp; an earlier event arriving late
# replaces them. A source dobject need not exist (yet) in `dobjects`.
column_edges = Table(
    "column_edges",
    metadata,
    Column("target_dobject_id", Uuid, nullable=False),
    Column("target_field", Text, nullable=False),
    Column("source_dobject_id", Uuid, nullable=False),
    Column("source_field", Text, nullable=False),
    Column("transformation", Text),  # `TYPE/SUBTYPE` (or `TYPE`), several joined by `, `
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("event_id", Uuid, nullable=False),
    PrimaryKeyConstraint("target_dobject_id", "target_field", "source_dobject_id", "source_field"),
    Index("column_edges_source_idx", "source_dobject_id", "source_field"),
    schema=PROJECTION_SCHEMA,
)

projection_state = Table(
    "projection_state",
    metadata,
    Column("id", SmallInteger, primary_key=True),  # always 1
    Column("applied_sequence", BigInteger, nullable=False, server_default="0"),
    Column("last_event_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    # Set by a migration whose projection only a rebuild can fill (0006: the versions);
    # the projector rebuilds before it consumes. A rebuilt projection starts false.
    Column("rebuild_required", Boolean, nullable=False, server_default=text("false")),
    schema=PROJECTION_SCHEMA,
)

PROJECTION_TABLES: Final = (
    transforms,
    runs,
    dobjects,
    dobject_versions,
    dobject_writes,
    run_inputs,
    column_edges,
    projection_state,
)

# Postgres channel on which the projector NOTIFYs the applied sequence after each commit.
APPLIED_CHANNEL: Final = "lineage_applied"
