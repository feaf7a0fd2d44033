"""`lineage token create|list|revoke`: scoped API tokens, kept as hashes in Postgres."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer

T = TypeVar("T")

token_app = typer.Typer(
    help="Scoped API tokens (read, write, admin). Only a hash of each token is stored.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add `lineage token ...` to `app`."""
    app.add_typer(token_app, name="token")


def _with_engine(work: Callable[..., Awaitable[T]], *args: object) -> T:
    from lineage_core.db.engine import create_engine, upgrade_sync
    from lineage_core.settings import Settings

    url = Settings().resolved_database_url()
    upgrade_sync(url)  # the token table may be newer than the running service

    async def run() -> T:
        engine = create_engine(url, pool_size=1)
        try:
            return await work(engine, *args)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


@token_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="A unique name for the token (who or what uses it).")],
    scope: Annotated[
        list[str],
        typer.Option("--scope", "-s", help="read, write or admin (repeatable)."),
    ],
) -> None:
    """Make a token and print it once, alone on the last line (it cannot be shown again)."""
    from lineage_core import tokens
    from lineage_core.settings import Settings

    async def work(engine, name: str, scopes: list[str]) -> tuple[str, bool]:  # type: ignore[no-untyped-def]
        was_open = not await tokens.any_tokens(engine)
        return await tokens.create_token(engine, name, scopes), was_open

    try:
        token, was_open = _with_engine(work, name, scope)
    except tokens.TokenError as exc:
        raise _fail(f"token create: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - an operator wants one line, not a traceback
        raise _fail(f"token create failed: {exc}") from None
    if was_open and not Settings().api_token:
        typer.echo(
            "warning: this is the first token: the API now requires a token on every "
            "request (auth is on), and `lineage up` asks NATS clients for credentials "
            "from its next start",
            err=True,
        )
    typer.echo(f"token {name!r} with scopes {', '.join(tokens.checked_scopes(scope))}:")
    typer.echo(token)


@token_app.command("list")
def list_() -> None:
    """Live tokens: name, scopes, creation and last use (never the tokens themselves)."""
    from lineage_core import tokens

    try:
        found = _with_engine(tokens.list_tokens)
    except Exception as exc:  # noqa: BLE001
        raise _fail(f"token list failed: {exc}") from None
    if not found:
        typer.echo("no tokens (the API is open unless LINEAGE_API_TOKEN is set)")
        return
    typer.echo(f"{'NAME':<24} {'SCOPES':<18} {'CREATED':<25} LAST USED")
    for t in found:
        last = t.last_used_at.isoformat(timespec="seconds") if t.last_used_at else "never"
        typer.echo(
            f"{t.name:<24} {','.join(t.scopes):<18} "
            f"{t.created_at.isoformat(timespec='seconds'):<25} {last}"
        )


@token_app.command("revoke")
def revoke(name: Annotated[str, typer.Argument(help="The token's name.")]) -> None:
    """Revoke a token: every API process refuses it within 2 s and closes its subscriptions."""
    from lineage_core import tokens

    try:
        _with_engine(tokens.revoke_token, name)
    except tokens.TokenError as exc:
        raise _fail(f"token revoke: {exc}") from None
    except Exception as exc:  # noqa: BLE001
        raise _fail(f"token revoke failed: {exc}") from None
    typer.echo(f"revoked {name!r}")
