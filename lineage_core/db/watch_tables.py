"""Durable watches, their webhook deliveries and the change detector's state
(docs/reference/watches.md, docs/watches.md).

They live in `public` beside the raw log: `lineage rebuild` replaces the projection,
and a watch, its secret and what it has delivered must survive that. Everything here
but the watches themselves can be recomputed from the raw log (the detector's cursor
and the changes it decided), so nothing here is the only copy of an event.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    Table,
    Text,
    Uuid,
    text,
)

from lineage_core.db.metadata import RAW_SCHEMA, metadata

watches = Table(
    "watches",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False, unique=True),
    Column("root_id", Uuid, nullable=False),
    Column("root_kind", Text, nullable=False),  # 'DOBJECT' | 'RUN'
    Column("direction", Text, nullable=False),  # 'UPSTREAM' | 'DOWNSTREAM' | 'BOTH'
    Column("depth", Integer, nullable=False),
    Column("kinds", ARRAY(Text), nullable=False),  # the ChangeKinds it delivers
    Column("url", Text, nullable=False),
    # Kept as given: delivery signs every body with it (HMAC needs the secret itself).
    Column("secret", Text, nullable=False),
    # The applied sequence when `create` returned: it delivers the changes after it.
    Column("from_sequence", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Index("watches_root_idx", "root_id"),
    schema=RAW_SCHEMA,
)

# One row per (watch, change): written in the detector's transaction with its cursor.
watch_deliveries = Table(
    "watch_deliveries",
    metadata,
    Column("id", Uuid, primary_key=True),  # the delivery_id a receiver deduplicates on
    Column("watch_id", BigInteger, nullable=False),  # removed with its watch
    Column("sequence", BigInteger, nullable=False),
    Column("ordinal", SmallInteger, nullable=False),  # the change's place among its event's
    Column("kind", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("distance", Integer, nullable=False),
    Column("dobject_id", Uuid),
    Column("version_id", Uuid),
    Column("run_id", Uuid),
    Column("state", Text, nullable=False, server_default="pending"),  # pending|delivered|failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column(
        "next_attempt_at", DateTime(timezone=True), nullable=False, server_default=text("now()")
    ),
    Column("first_attempt_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("last_failed_at", DateTime(timezone=True)),  # when last_error was recorded
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Index("watch_deliveries_order_idx", "watch_id", "sequence", "ordinal", unique=True),
    Index(
        "watch_deliveries_pending_idx",
        "watch_id",
        "sequence",
        "ordinal",
        postgresql_where=text("state = 'pending'"),
    ),
    schema=RAW_SCHEMA,
)

# Every change the detector decided, whoever watches it: the live subscriptions of every
# API process read them from here (pruned after CHANGES_KEPT_SECONDS).
lineage_changes = Table(
    "lineage_changes",
    metadata,
    Column("sequence", BigInteger, nullable=False),
    Column("ordinal", SmallInteger, nullable=False),
    Column("kind", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("node_id", Uuid, nullable=False),  # where membership is decided from
    Column("node_kind", Text, nullable=False),  # 'DOBJECT' | 'RUN'
    Column("dobject_id", Uuid),
    Column("version_id", Uuid),
    Column("run_id", Uuid),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Index("lineage_changes_order_idx", "sequence", "ordinal", unique=True),
    schema=RAW_SCHEMA,
)

# The detector's cursor (one row): every raw event up to `sequence` has been decided.
watch_detector = Table(
    "watch_detector",
    metadata,
    Column("id", SmallInteger, primary_key=True),  # always 1
    Column("sequence", BigInteger, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    schema=RAW_SCHEMA,
)

# Postgres channel on which the detector NOTIFYs its cursor after each commit.
CHANGES_CHANNEL: Final = "lineage_changes"
