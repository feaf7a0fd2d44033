"""`lineage watch create|list|remove|deliveries`: durable watches delivered to webhooks
(docs/watches.md)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer

T = TypeVar("T")

watch_app = typer.Typer(
    help="Durable watches: the changes of a dataset's or run's lineage, POSTed to a URL.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add `lineage watch ...` to `app`."""
    app.add_typer(watch_app, name="watch")


def _with_connection(work: Callable[[Any], Awaitable[T]]) -> T:
    import asyncpg

    from lineage_core.db.engine import upgrade_sync
    from lineage_core.settings import Settings
    from projector.store import asyncpg_dsn

    url = Settings().resolved_database_url()
    upgrade_sync(url)  # the watch tables may be newer than the running service

    async def run() -> T:
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            return await work(conn)
        finally:
            await conn.close()

    return asyncio.run(run())


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def _run(what: str, work: Callable[[Any], Awaitable[T]]) -> T:
    from lineage_read.watches import WatchError

    try:
        return _with_connection(work)
    except WatchError as exc:
        raise _fail(f"watch {what}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - an operator wants one line, not a traceback
        raise _fail(f"watch {what} failed: {exc}") from None


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise _fail(f"watch create: {what} {value!r} is not a UUID") from None


@watch_app.command("create")
def create(  # noqa: PLR0917 - typer passes every option by position
    name: Annotated[str, typer.Argument(help="A unique name for the watch.")],
    url: Annotated[str, typer.Option("--url", help="Where changes are POSTed (http/https).")],
    dobject: Annotated[
        str | None, typer.Option("--dobject", help="Watch this dobject's lineage.")
    ] = None,
    run: Annotated[str | None, typer.Option("--run", help="Watch this run's lineage.")] = None,
    direction: Annotated[
        str, typer.Option("--direction", help="UPSTREAM, DOWNSTREAM or BOTH.")
    ] = "UPSTREAM",
    depth: Annotated[int, typer.Option("--depth", help="Hops from the root, 1..50.")] = 10,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help="A change kind to deliver (repeatable; default all)."),
    ] = None,
) -> None:
    """Make a watch and print its signing secret once, alone on the last line."""
    from lineage_read.watches import create_watch

    if (dobject is None) == (run is None):
        raise _fail("watch create: give exactly one of --dobject and --run")
    root_kind = "DOBJECT" if dobject is not None else "RUN"
    root_id = _uuid(dobject or run or "", "--dobject" if dobject is not None else "--run")

    async def work(conn: Any) -> str:
        return await create_watch(
            conn,
            name,
            root_kind=root_kind,
            root_id=root_id,
            url=url,
            direction=direction.upper(),
            depth=depth,
            kinds=[k.upper() for k in kind] if kind else None,
        )

    secret = _run("create", work)
    typer.echo(
        f"watch {name!r} on {root_kind.lower()} {root_id} ({direction.upper()}, depth {depth}) "
        f"-> {url}; its signing secret (shown once):"
    )
    typer.echo(secret)


@watch_app.command("list")
def list_() -> None:
    """Watches: name, root, URL, counts of delivered, pending and failed, and the last
    failure (no secrets)."""
    from lineage_read.watches import WatchSummary, list_watches

    found: list[WatchSummary] = _run("list", list_watches)
    if not found:
        typer.echo("no watches")
        return
    typer.echo(
        f"{'NAME':<24} {'ROOT':<46} {'DIRECTION':<10} {'DEPTH':>5} "
        f"{'DELIVERED':>9} {'PENDING':>7} {'FAILED':>6} URL  LAST FAILURE"
    )
    for w in found:
        root = f"{w.root_kind.lower()}:{w.root_id}"
        failure = "-"
        if w.last_failure is not None and w.last_failure_at is not None:
            state = "given up" if w.last_failure_given_up else "retrying"
            failure = (
                f"{w.last_failure} ({state}, {w.last_failure_at.isoformat(timespec='seconds')})"
            )
        typer.echo(
            f"{w.name:<24} {root:<46} {w.direction:<10} {w.depth:>5} "
            f"{w.delivered:>9} {w.pending:>7} {w.failed:>6} {w.url}  {failure}"
        )


@watch_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="The watch's name.")]) -> None:
    """Remove a watch and its deliveries (pending ones are not sent)."""
    from lineage_read.watches import remove_watch

    async def work(conn: Any) -> None:
        await remove_watch(conn, name)

    _run("remove", work)
    typer.echo(f"removed {name!r}")


@watch_app.command("deliveries")
def deliveries(
    name: Annotated[str, typer.Argument(help="The watch's name.")],
    failed: Annotated[bool, typer.Option("--failed", help="Only the failed ones.")] = False,
) -> None:
    """Each delivery of the watch, in order: id, change, state, attempts."""
    from lineage_read.watches import Delivery
    from lineage_read.watches import deliveries as load

    async def work(conn: Any) -> list[Delivery]:
        return await load(conn, name, failed_only=failed)

    found = _run("deliveries", work)
    typer.echo(
        f"{'DELIVERY':<36} {'SEQUENCE':>8} {'KIND':<14} {'DIST':>4} {'STATE':<9} "
        f"{'ATTEMPTS':>8} NODE / LAST ERROR"
    )
    for d in found:
        node = d.dobject_id or d.run_id
        note = f" ({d.last_error})" if d.last_error and d.state != "delivered" else ""
        typer.echo(
            f"{d.id!s:<36} {d.sequence:>8} {d.kind:<14} {d.distance:>4} {d.state:<9} "
            f"{d.attempts:>8} {node}{note}"
        )
