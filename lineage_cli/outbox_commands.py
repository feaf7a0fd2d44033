"""Operator commands of the producer SDK's local outbox."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add `lineage outbox ...` to `app`."""
