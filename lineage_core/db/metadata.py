"""The one `MetaData` every table module adds its tables to, and the two schemas.

Its own module so that the table modules (tables.py, marquez_tables.py, watch_tables.py)
each import it and none imports another. Importing this alone gives an empty metadata:
the whole schema (alembic, the schema check) is `lineage_core.db.schema.metadata`.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import MetaData

PROJECTION_SCHEMA: Final = "projection"
RAW_SCHEMA: Final = "public"

metadata = MetaData()
