"""Operator commands of the projector: rebuild, status, dlq."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the projector's operator commands to `app`."""
