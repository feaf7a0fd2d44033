"""Operator commands of the projector: `lineage rebuild`, `lineage status`, `lineage dlq ...`."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from lineage_core.settings import Settings
    from projector.rebuild_sql import StepReport

dlq_app = typer.Typer(
    help="Bad events parked in the LINEAGE_DLQ stream: inspect them, re-submit them after a fix.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the projector's operator commands to `app`."""
    app.command()(rebuild)
    app.command()(status)
    app.add_typer(dlq_app, name="dlq")


def _fail(what: str, exc: BaseException) -> typer.Exit:
    typer.echo(f"{what} failed: {exc}", err=True)
    return typer.Exit(1)


def rebuild(
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Report the events and an estimated time; change nothing."),
    ] = False,
) -> None:
    """Drop and rebuild the projection from the raw event log (public.raw_events).

    Works whether or not the service runs: the new projection is built aside by one
    set-based statement per table (progress on stderr) and swapped in at once, so queries
    see the old one or the new one, never a half-built one; the projector pauses meanwhile
    and goes on afterwards.
    """
    from lineage_core.db.engine import upgrade_sync
    from lineage_core.settings import Settings
    from projector.rebuild import dry_run as plan_rebuild
    from projector.rebuild import rebuild as run_rebuild

    settings = Settings()
    try:
        upgrade_sync(settings.resolved_database_url())
        if dry_run:
            plan = asyncio.run(plan_rebuild(settings))
            kinds = ", ".join(f"{n:,} {t}" for t, n in sorted(plan.by_type.items()))
            versions = ", ".join(f"v{v}: {n:,}" for v, n in sorted(plan.by_version.items()))
            typer.echo(f"{plan.events:,} raw events ({kinds or 'none'})")
            typer.echo(f"schema versions: {versions or 'none'}")
            typer.echo(f"raw log: {plan.raw_bytes / 2**20:,.1f} MiB")
            typer.echo(
                f"estimated rebuild time: {plan.estimate_seconds:,.1f} s "
                f"(timed on a sample of {plan.sampled:,} events)"
            )
            return
        applied = asyncio.run(run_rebuild(settings, progress=_print_step))
    except Exception as exc:  # noqa: BLE001 - an operator wants one line, not a traceback
        raise _fail("rebuild", exc) from None
    typer.echo(f"rebuilt the projection from {applied} raw events")


def _print_step(step: StepReport) -> None:
    typer.echo(f"rebuilt {step.table}: {step.rows:,} {step.unit} in {step.seconds:.1f} s", err=True)


def status() -> None:
    """Stream sequence, applied sequence, lag, DLQ size and events/s over the last minute."""
    from lineage_core.settings import Settings
    from projector.status import projector_status

    settings = Settings()
    try:
        s = asyncio.run(projector_status(settings))
    except Exception as exc:  # noqa: BLE001
        raise _fail("status", exc) from None
    last = s.last_event_at.isoformat() if s.last_event_at else "-"
    typer.echo(f"stream sequence   {s.stream_sequence}")
    typer.echo(f"applied sequence  {s.applied_sequence}")
    typer.echo(f"lag               {s.lag}")
    typer.echo(f"DLQ size          {s.dlq_size}")
    typer.echo(f"events/s (1 min)  {s.events_per_second:.1f}")
    typer.echo(f"last event at     {last}")


@dlq_app.command("list")
def dlq_list(
    limit: Annotated[int, typer.Option(help="Show at most this many (oldest first).")] = 100,
    show_body: Annotated[bool, typer.Option("--body", help="Print each message body.")] = False,
) -> None:
    """List parked events: DLQ sequence, original subject and sequence, reason."""
    settings = _settings()
    try:
        rows = asyncio.run(_list(settings, limit))
    except Exception as exc:  # noqa: BLE001
        raise _fail("dlq list", exc) from None
    if not rows:
        typer.echo("the DLQ is empty")
        return
    for p in rows:
        typer.echo(
            f"#{p.dlq_sequence}  {p.original_subject} seq {p.original_sequence}  "
            f"{p.dead_lettered_at}\n    reason: {p.reason}"
        )
        if show_body:
            typer.echo(f"    body: {p.data.decode(errors='replace')[:2000]}")


@dlq_app.command("replay")
def dlq_replay(
    sequence: Annotated[
        list[int] | None,
        typer.Option("--seq", help="Replay only these DLQ sequences (repeatable)."),
    ] = None,
    reason: Annotated[
        str | None, typer.Option(help="Replay only events whose reason contains this text.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Re-publish parked events to their original subject (e.g. after an upgrade).

    Each replayed event is removed from the DLQ once LINEAGE has stored it, so a replay is
    never done twice; one that is still bad is parked again with its new reason.
    """
    settings = _settings()
    try:
        chosen = [
            p
            for p in asyncio.run(_list(settings, None))
            if (not sequence or p.dlq_sequence in sequence)
            and (reason is None or reason in p.reason)
        ]
    except Exception as exc:  # noqa: BLE001
        raise _fail("dlq replay", exc) from None
    if not chosen:
        typer.echo("nothing to replay")
        return
    if not yes:
        typer.confirm(f"replay {len(chosen)} events to LINEAGE?", abort=True)
    try:
        done = asyncio.run(_replay(settings, [p.dlq_sequence for p in chosen]))
    except Exception as exc:  # noqa: BLE001
        raise _fail("dlq replay", exc) from None
    typer.echo(f"replayed {done} events")


def _settings() -> Settings:
    from lineage_core.settings import Settings

    return Settings()


async def _list(settings: Settings, limit: int | None) -> list:  # type: ignore[type-arg]
    from lineage_core.nats_auth import connect_service
    from projector.dlq import parked_messages

    nc = await connect_service(settings)
    try:
        out = []
        async for parked in parked_messages(nc.jetstream()):
            out.append(parked)
            if limit is not None and len(out) >= limit:
                break
        return out
    finally:
        await nc.close()


async def _replay(settings: Settings, sequences: list[int]) -> int:
    from lineage_core.nats_auth import connect_service
    from projector.dlq import parked_messages, replay

    wanted = set(sequences)
    nc = await connect_service(settings)
    done = 0
    try:
        js = nc.jetstream()
        # Only what is parked now: events that fail again are parked behind `up_to`.
        with typer.progressbar(length=len(wanted), label="replaying", file=None) as bar:
            async for parked in parked_messages(js, up_to=max(wanted)):
                if parked.dlq_sequence in wanted:
                    await replay(js, parked)
                    done += 1
                    bar.update(1)
    finally:
        await nc.close()
    return done
