"""`lineage`: run the service, its parts, and operator commands.

Each part registers its own operator commands (projector_commands, outbox_commands);
this module only assembles them.
"""

from __future__ import annotations

import typer

from lineage_cli import (
    outbox_commands,
    projector_commands,
    serve_commands,
    token_commands,
    watch_commands,
)
from lineage_cli.server_extra import require_server

app = typer.Typer(
    help=(
        "Event-sourced data lineage: "
        "producer SDK -> NATS JetStream -> projector -> Postgres -> GraphQL."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    callback=require_server,
)

serve_commands.register(app)
projector_commands.register(app)
outbox_commands.register(app)
token_commands.register(app)
watch_commands.register(app)

if __name__ == "__main__":
    app()
