"""`lineage up`, `lineage projector`, `lineage api`, `lineage demo`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer

from lineage_core.settings import ENDPOINTS_FILE, Settings

if TYPE_CHECKING:
    import uvicorn
    from starlette.types import ASGIApp

    from lineage_cli.embedded import NatsUsers


def register(app: typer.Typer) -> None:
    app.command()(up)
    app.command()(projector)
    app.command()(api)
    app.command()(demo)


def up() -> None:
    """Run everything: embedded NATS/Postgres where no URL is set, migrations, projector, API.

    Ctrl-C or SIGTERM stops it and its embedded servers.
    """
    from lineage_cli.embedded import EmbeddedNats, EmbeddedPostgres, NatsUsers, free_port

    _sigterm_like_ctrl_c()
    settings = Settings()
    try:
        api_settings(settings, with_projector=True)
    except ValueError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    settings.home.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        if not settings.database_url:
            typer.echo("starting embedded Postgres ...", err=True)
            pg = EmbeddedPostgres.start(settings.home)
            stack.callback(pg.stop)
            settings.database_url = pg.url

        _migrate_when_reachable(settings)
        users = None
        if not settings.nats_url:
            # with tokens configured, NATS asks for credentials too (docs/reference/tokens.md)
            if settings.api_token or _tokens_exist(settings):
                users = NatsUsers.under(settings.home)
                settings.nats_creds = users.service_file
            typer.echo("starting embedded nats-server ...", err=True)
            nats_server = EmbeddedNats.start(settings.home, users=users)
            stack.callback(nats_server.stop)
            settings.nats_url = nats_server.url
        if "LINEAGE_PORT" not in os.environ:
            # Default port taken (another service)? Take a free one; it is recorded below.
            settings.port = free_port(settings.port)
        api_url = f"http://{settings.host}:{settings.port}"
        settings.api_url = api_url

        endpoints = settings.home / ENDPOINTS_FILE
        _record_endpoints(endpoints, settings, api_url, users)
        stack.callback(endpoints.unlink, missing_ok=True)

        typer.echo(f"lineage is up\n  GraphQL:  {api_url}/graphql\n  explorer: {api_url}/ui/")
        typer.echo(f"  NATS:     {settings.nats_url}")
        typer.echo(f"  Postgres: {settings.database_url}\n  home:     {settings.home}")
        typer.echo("Ctrl-C (or SIGTERM) stops it.", err=True)
        with suppress(KeyboardInterrupt):
            asyncio.run(_serve(settings, projector=True, api=True))
        typer.echo("stopping ...", err=True)


def projector() -> None:
    """Run only the projector (NATS -> Postgres)."""
    _sigterm_like_ctrl_c()
    settings = Settings()
    try:
        _migrate_when_reachable(settings)
        asyncio.run(_serve(settings, projector=True, api=False))
    except KeyboardInterrupt:
        pass


def api(
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="API processes sharing the port (uvicorn workers); each opens up to "
            "LINEAGE_DB_POOL_SIZE database sessions and serves its own subscriptions",
        ),
    ] = 1,
) -> None:
    """Run only the GraphQL API."""
    settings = Settings()
    if workers > 1:
        import uvicorn

        # uvicorn's supervisor starts the workers, each builds the app from LINEAGE_*,
        # and it stops them on Ctrl-C or SIGTERM
        uvicorn.run(
            "http_edge.app:create_app_from_environment",
            factory=True,
            workers=workers,
            host=settings.host,
            port=settings.port,
            log_level="warning",
        )
        return
    _sigterm_like_ctrl_c()
    with suppress(KeyboardInterrupt):
        asyncio.run(_serve(settings, projector=False, api=True))


def demo() -> None:
    """Run the seed program against the running service and say which run produced
    output.bam; then a nightly run goes on from output.bam (docs/questions/)."""
    from lineage_cli.demo_story import tell_nightly_story
    from producer_sdk.demo import run_demo

    settings = Settings()
    workdir = settings.home / "demo"
    workdir.mkdir(parents=True, exist_ok=True)
    os.chdir(workdir)
    typer.echo(run_demo())
    typer.echo(tell_nightly_story(settings))


def _migrate_when_reachable(settings: Settings) -> None:
    """Apply the migrations once Postgres answers (it may start after us: wait, log, retry)."""
    from lineage_core.db.engine import upgrade_sync
    from lineage_core.startup import log_to_stderr_if_unconfigured, wait_for_postgres

    log_to_stderr_if_unconfigured()
    url = settings.resolved_database_url()
    asyncio.run(wait_for_postgres(url))
    upgrade_sync(url)


def _sigterm_like_ctrl_c() -> None:
    """SIGTERM (systemd, docker stop, kill) stops the service as Ctrl-C does, embedded
    servers included. uvicorn handles SIGTERM while it serves, then raises it again once
    it has shut down; with the default action that killed the process before its
    embedded nats-server and Postgres were stopped."""

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _tokens_exist(settings: Settings) -> bool:
    from lineage_core.db.engine import create_engine
    from lineage_core.tokens import any_tokens

    async def check() -> bool:
        engine = create_engine(settings.resolved_database_url(), pool_size=1)
        try:
            return await any_tokens(engine)
        finally:
            await engine.dispose()

    return asyncio.run(check())


def _record_endpoints(
    path: Path, settings: Settings, api_url: str, users: NatsUsers | None
) -> None:
    data: dict[str, object] = {
        "nats_url": settings.nats_url,
        "database_url": settings.database_url,
        "api_url": api_url,
        "pid": os.getpid(),
    }
    if users is not None:
        # the SDK on this machine publishes with the producer's credentials; the
        # `lineage` commands connect as the service
        data["nats_creds"] = str(users.producer_file)
        data["nats_service_creds"] = str(users.service_file)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.replace(path)


# The projector's database sessions: the advisory-lock connection on which every batch
# commits (projector/leader.py), and the watches' two, the change detector's and the
# delivery worker's (projector/watches/service.py).
PROJECTOR_SESSIONS: Final = 3


def api_settings(settings: Settings, *, with_projector: bool) -> Settings:
    """The settings the API runs with. LINEAGE_DB_POOL_SIZE bounds each part's sessions
    (docs/reference/deployment.md); `lineage up` runs both parts in one process within that one
    budget: the projector's session comes out of it and the API has the rest."""
    if not with_projector:
        return settings
    from lineage_read.database import MIN_SESSIONS

    sessions = settings.db_pool_size - PROJECTOR_SESSIONS
    if sessions < MIN_SESSIONS:
        raise ValueError(
            f"LINEAGE_DB_POOL_SIZE={settings.db_pool_size} is too small for `lineage up`: "
            f"the projector needs {PROJECTOR_SESSIONS} and the API {MIN_SESSIONS} sessions"
        )
    return settings.model_copy(update={"db_pool_size": sessions})


async def _serve(settings: Settings, *, projector: bool, api: bool) -> None:
    """Run the chosen parts until Ctrl-C/SIGTERM or until one of them fails.

    At most one HTTP server: the API's (whose /metrics also shows the projector's in
    `lineage up`), or else the projector's /metrics and /healthz on LINEAGE_METRICS_PORT.
    uvicorn handles the signals while it serves; with no server a task waits for them.
    """

    tasks: list[asyncio.Task[None]] = []
    server: uvicorn.Server | None = None
    if projector:
        from projector.service import run_projector

        tasks.append(asyncio.create_task(run_projector(settings), name="projector"))
    if api:
        from http_edge.app import create_app

        server = _http_server(
            create_app(api_settings(settings, with_projector=projector)),
            settings.host,
            settings.port,
        )
    elif settings.metrics_port is not None:
        from projector.metrics_server import create_metrics_app

        server = _http_server(create_metrics_app(settings), settings.host, settings.metrics_port)
    if server is not None:
        tasks.append(asyncio.create_task(server.serve(), name="http"))
    else:
        tasks.append(asyncio.create_task(_wait_for_signal(), name="signals"))
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        if server is not None:
            server.should_exit = True
        for task in tasks:
            if task.get_name() != "http":
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _http_server(app: ASGIApp, host: str, port: int) -> uvicorn.Server:
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    return uvicorn.Server(config)


async def _wait_for_signal() -> None:
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    typer.echo("stopping ...", err=True)
