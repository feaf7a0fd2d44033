"""The whole schema: importing this module imports every table module, so its
`metadata` holds every table (the alembic environment and the schema check use it)."""

from __future__ import annotations

from lineage_core.db import marquez_tables, tables, watch_tables
from lineage_core.db.metadata import metadata

__all__ = ["TABLE_MODULES", "metadata"]

# every module that adds tables to the metadata; a new one is listed here
TABLE_MODULES: tuple[object, ...] = (tables, marquez_tables, watch_tables)
