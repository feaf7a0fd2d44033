"""The API before NATS and Postgres answer: what it still waits for, and the wait itself
(middleware.starting.StartingGate answers 503 until `Resources` are open)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from http_edge.resources import Resources
from lineage_core.nats_auth import service_connect_options
from lineage_core.settings import Settings
from lineage_core.startup import describe, probe_jetstream, probe_postgres, wait_until, where

WAITING: Final = "waiting"


@dataclass
class Startup:
    """What the API still waits for: 'ok', or the last failure seen."""

    checks: dict[str, str] = field(default_factory=lambda: {"nats": WAITING, "postgres": WAITING})
    resources: Resources | None = None
    # set once `resources` are open (tests and embedders await it instead of polling)
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def failed(self, name: str) -> Callable[[BaseException], None]:
        def record(exc: BaseException) -> None:
            self.checks[name] = f"{WAITING}: {describe(exc)}"

        return record


async def open_when_ready(settings: Settings, startup: Startup) -> Resources:
    """Wait for Postgres, then JetStream, then open the API's resources (retrying each).

    The caller sets `startup.resources` once everything else is in place: that opens the gate."""
    databases = [("Postgres", settings.resolved_database_url())]
    if settings.database_read_url:
        databases.append(("the Postgres read replica", settings.database_read_url))
    for role, url in databases:
        await _wait_for_database(role, url, startup)
    startup.checks["postgres"] = "ok"
    servers = settings.nats_servers()
    await wait_until(
        "NATS JetStream at " + ", ".join(where(s) for s in servers),
        lambda: probe_jetstream(servers, service_connect_options(settings.resolved_nats_creds())),
        on_failure=startup.failed("nats"),
    )
    startup.checks["nats"] = "ok"
    return await wait_until("the API's connections", lambda: Resources.open(settings))


async def _wait_for_database(role: str, url: str, startup: Startup) -> None:
    await wait_until(
        f"{role} at {where(url)}",
        lambda: probe_postgres(url),
        on_failure=startup.failed("postgres"),
    )
