"""Credentials for NATS connections (docs/reference/tokens.md).

`LINEAGE_NATS_CREDS` names a credentials file of one of two kinds:
- a standard NATS user credentials file (a user JWT and its nkey seed, for servers in
  operator mode), handed to nats-py as `user_credentials`;
- a user and password file, as `lineage up` writes for its embedded nats-server:
      user: producer
      password: ...
User and password in `LINEAGE_NATS_URL` (`nats://user:password@host:4222`) work too
(nats-py reads them from the URL itself).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from nats.aio.client import Client as NatsClient

    from lineage_core.settings import Settings

JWT_MARKER: Final = "BEGIN NATS USER JWT"
PRODUCER_USER: Final = "producer"
SERVICE_USER: Final = "lineage-service"
PRODUCER_CREDS: Final = "producer.creds"  # under LINEAGE_HOME/nats/, read by the SDK
SERVICE_CREDS: Final = "service.creds"  # under LINEAGE_HOME/nats/, projector, API, CLI
# Replies to the service's own requests (pull fetches carry stream messages) go to
# inboxes a producer may not subscribe to: producers may only listen on `_INBOX.>`.
SERVICE_INBOX_PREFIX: Final = "_LINEAGE_SERVICE_INBOX"


@dataclass(frozen=True)
class UserPassword:
    user: str
    password: str


def read_user_password(path: Path) -> UserPassword | None:
    """The user and password of a file written by `write_user_password`, else None."""
    fields: dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition(":")
        if sep and not line.lstrip().startswith("#"):
            fields[key.strip().lower()] = value.strip()
    if "user" in fields and "password" in fields:
        return UserPassword(fields["user"], fields["password"])
    return None


def write_user_password(path: Path, creds: UserPassword) -> None:
    """Write a credentials file readable by its owner only (0600 from creation on)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(
            "# NATS credentials written by `lineage up`; keep this file private\n"
            f"user: {creds.user}\npassword: {creds.password}\n"
        )
    tmp.chmod(0o600)
    tmp.replace(path)


def load_or_make(path: Path, user: str) -> UserPassword:
    """The credentials kept at `path`, made (random password) on first use, so that a
    restart of `lineage up` keeps every client's credentials valid."""
    if path.exists():
        found = read_user_password(path)
        if found is not None and found.user == user:
            return found
    creds = UserPassword(user, secrets.token_urlsafe(32))
    write_user_password(path, creds)
    return creds


def connect_options(creds_file: Path | None) -> dict[str, Any]:
    """Keyword arguments for `nats.connect` that authenticate with `creds_file` (if any)."""
    if creds_file is None:
        return {}
    text = Path(creds_file).read_text()
    if JWT_MARKER in text:
        return {"user_credentials": str(creds_file)}
    found = read_user_password(Path(creds_file))
    if found is None:
        raise ValueError(
            f"{creds_file}: not a NATS credentials file (neither a user JWT with its seed "
            "nor 'user:' and 'password:' lines)"
        )
    return {"user": found.user, "password": found.password}


def service_connect_options(creds_file: Path | None) -> dict[str, Any]:
    """`connect_options` plus the service's own inbox prefix (see SERVICE_INBOX_PREFIX)."""
    return {**connect_options(creds_file), "inbox_prefix": SERVICE_INBOX_PREFIX}


async def connect_service(settings: Settings, *, timeout: float = 5.0) -> NatsClient:
    """A short-lived connection of a service part or an operator command: the service's
    credentials and inbox prefix, and no reconnects, so a command fails at once."""
    import nats  # here: the SDK imports this module and connects its own way

    return await nats.connect(
        settings.nats_servers(),
        connect_timeout=timeout,
        max_reconnect_attempts=0,
        **service_connect_options(settings.resolved_nats_creds()),
    )


def servers_with_password(servers: list[str], creds_file: Path | None) -> list[str]:
    """`servers` with the user and password of a password file in each URL, for clients
    that take no user/password arguments (faststream's broker); others unchanged."""
    options = connect_options(creds_file)
    if "password" not in options:
        return servers
    out = []
    for server in servers:
        parts = urlsplit(server if "://" in server else f"nats://{server}")
        if parts.username is not None:
            out.append(server)  # the URL's own credentials win
            continue
        netloc = f"{options['user']}:{options['password']}@{parts.netloc}"
        out.append(urlunsplit(parts._replace(netloc=netloc)))
    return out
