"""One Settings object (prefix LINEAGE_), read at each entry point and passed down."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from lineage_core.process import pid_alive

DEFAULT_NATS_URL = "nats://127.0.0.1:4222"
DEFAULT_API_URL = "http://127.0.0.1:8000"
ENDPOINTS_FILE = "endpoints.json"


class Settings(BaseSettings):
    """Configuration of every part. Unset URLs fall back to what `lineage up` recorded."""

    model_config = SettingsConfigDict(env_prefix="LINEAGE_", extra="ignore")

    home: Path = Field(default_factory=lambda: Path.home() / ".lineage")
    nats_url: str | None = None
    database_url: str | None = None
    api_url: str | None = None
    api_token: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # longest a statement of a GraphQL request may run in Postgres (then QUERY_TOO_COMPLEX)
    api_statement_timeout_ms: int = Field(default=10_000, ge=1)
    # docs/reference/deployment.md: most database sessions one part (API or projector) opens,
    # pools, listeners and locks together; `lineage up` runs both parts
    db_pool_size: int = Field(default=10, ge=2)
    # replicas of the LINEAGE and LINEAGE_DLQ streams when created or updated
    stream_replicas: int = Field(default=1, ge=1, le=5)
    # a streaming read replica for the API (read-your-writes waits on its applied_sequence)
    database_read_url: str | None = None
    # `lineage projector` serves /metrics and /healthz on this port when set
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # a NATS credentials file (docs/reference/tokens.md); user:password in nats_url also works
    nats_creds: Path | None = None
    # abuse limits of the API (docs/security.md): requests a second per token (per client
    # address without one) in bursts of api_rate_burst, 0 turns the limit off; open
    # WebSockets per token or address; how long a client may take to send its body or
    # its graphql-transport-ws connection_init
    api_rate_limit: float = Field(default=1000.0, ge=0)
    api_rate_burst: float = Field(default=2000.0, ge=1)
    api_max_websockets: int = Field(default=100, ge=0)
    # WebSockets per client address still waiting for connection_init
    api_max_pending_websockets: int = Field(default=5000, ge=0)
    # seconds per second a caller may spend parsing and validating new documents (cached
    # ones are free), saved up to api_parse_burst_seconds; 0 turns it off
    api_parse_share: float = Field(default=0.01, ge=0)
    api_parse_burst_seconds: float = Field(default=1.0, gt=0)
    # what one caller's subscriptions may cost, across its sockets: events a second
    # delivered in all (past it they wait, and are dropped once a queue behind) and
    # subscriptions open at once; 0 turns either off
    api_subscription_events: float = Field(default=1000.0, ge=0)
    api_max_subscriptions: int = Field(default=200, ge=0)
    api_body_timeout_seconds: float = Field(default=30.0, gt=0)
    # an idle socket is closed between half this and this; long, because closing idle
    # sockets only has their owner open new ones, and that churn is what makes the
    # garbage collector's full passes frequent (docs/security.md); their number is
    # bounded by api_max_pending_websockets instead
    api_ws_init_timeout_seconds: float = Field(default=60.0, gt=0)
    # webhooks of durable watches (docs/watches.md): a delivery is retried for this long
    # after its first attempt, then `failed`; the wait between attempts doubles from 1 s
    # up to watch_backoff_max_seconds
    watch_retry_seconds: float = Field(default=86_400.0, gt=0)
    watch_backoff_max_seconds: float = Field(default=300.0, gt=0)

    def recorded_endpoints(self) -> dict[str, Any]:
        """What a running `lineage up` wrote under LINEAGE_HOME, or {}."""
        try:
            data = json.loads((self.home / ENDPOINTS_FILE).read_text())
        except (OSError, ValueError):
            return {}
        pid = data.get("pid") if isinstance(data, dict) else None
        if not isinstance(data, dict) or (isinstance(pid, int) and not pid_alive(pid)):
            return {}  # a `lineage up` that died without cleaning up
        return data

    def resolved_nats_url(self) -> str:
        return self.nats_url or self.recorded_endpoints().get("nats_url") or DEFAULT_NATS_URL

    def resolved_api_url(self) -> str:
        return self.api_url or self.recorded_endpoints().get("api_url") or DEFAULT_API_URL

    def resolved_database_url(self) -> str:
        url = self.database_url or self.recorded_endpoints().get("database_url")
        if not url:
            raise RuntimeError(
                "no database configured: set LINEAGE_DATABASE_URL "
                "(postgresql+asyncpg://...) or start the service with `lineage up`"
            )
        return str(url)

    def resolved_nats_creds(self) -> Path | None:
        """The service's NATS credentials: LINEAGE_NATS_CREDS, else those a running
        `lineage up` recorded for its embedded nats-server (only when its URL is used)."""
        return self._creds("nats_service_creds")

    def producer_nats_creds(self) -> Path | None:
        """A producer's NATS credentials: LINEAGE_NATS_CREDS, else the producer
        credentials a running `lineage up` recorded (publish on lineage.> only)."""
        return self._creds("nats_creds")

    def _creds(self, key: str) -> Path | None:
        if self.nats_creds is not None:
            return self.nats_creds
        if self.nats_url:
            return None  # another server than the recorded one: its creds do not apply
        recorded = self.recorded_endpoints().get(key)
        return Path(recorded) if isinstance(recorded, str) and recorded else None

    def nats_servers(self) -> list[str]:
        return [u.strip() for u in self.resolved_nats_url().split(",") if u.strip()]
