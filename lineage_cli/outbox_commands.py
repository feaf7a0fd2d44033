"""Operator commands of the producer SDK's local outbox (`lineage outbox status|flush`).

The outbox holds events a producer could not get acknowledged by NATS; each producer
re-sends its own at its next call or at exit, and a producer that exits while NATS is
still down leaves its file for the next producer on the machine or for `flush` here.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from lineage_core.settings import Settings

outbox_app = typer.Typer(
    help="The SDK's local outbox of events not yet acknowledged by NATS.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add `lineage outbox ...` to `app`."""
    app.add_typer(outbox_app, name="outbox")


@outbox_app.command()
def status() -> None:
    """List outbox files under LINEAGE_HOME: owner process, whether it runs, events waiting."""
    from lineage_core.settings import Settings
    from producer_sdk.outbox import list_files

    directory = Settings().home / "outbox"
    files = list_files(directory)
    total = sum(f.events for f in files)
    typer.echo(f"outbox {directory}: {total} events waiting in {len(files)} files")
    for f in files:
        owner = f"pid {f.pid} on {f.host} ({'running' if f.alive else 'exited'})"
        typer.echo(f"  {f.path.name}: {f.events} events, {owner}")


@outbox_app.command()
def flush() -> None:
    """Send every waiting event to NATS now, oldest file first (re-sends are de-duplicated)."""
    from lineage_core.settings import Settings

    settings = Settings()
    try:
        sent, left = asyncio.run(_flush(settings))
    except Exception as exc:  # noqa: BLE001 - an operator wants one line, not a traceback
        typer.echo(f"flush failed: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"sent {sent} events; {left} still waiting")
    if left:
        typer.echo(
            f"NATS at {settings.resolved_nats_url()} is unreachable; try again when it is up",
            err=True,
        )
        raise typer.Exit(1)


async def _flush(settings: Settings) -> tuple[int, int]:
    from producer_sdk.outbox import Outbox, list_files
    from producer_sdk.publisher import Publisher, flush_files, producer_credentials

    directory = settings.home / "outbox"
    files = [f.path for f in list_files(directory) if f.events]
    # This command's own outbox file is never written: it only re-sends others'.
    publisher = Publisher(
        settings.nats_servers(),
        Outbox(directory, name=".flush-unused"),
        client_name="lineage outbox flush",
        credentials=producer_credentials(settings),
        adopt_orphans=False,  # it sends every file itself
    )
    sent = 0
    try:
        sent = await flush_files(publisher, files)
    except Exception as exc:  # noqa: BLE001 - partial progress is kept in the files
        typer.echo(f"stopped early: {exc!r}", err=True)
    finally:
        await publisher.close()
    left = sum(f.events for f in list_files(directory))
    return sent, left
