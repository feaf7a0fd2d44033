"""`run_watches`: the detector and the delivery worker, for as long as the projector is
active (projector/service.py starts and cancels it with each term).

Each has a database session of its own (WATCH_SESSIONS): a detector transaction can
take a while, and a delivery waiting behind it would wait as long. The session budget of
LINEAGE_DB_POOL_SIZE counts both (lineage_cli/serve_commands.py)."""

from __future__ import annotations

import asyncio
import logging
from typing import Final

import asyncpg

from lineage_core.settings import Settings
from projector.store import asyncpg_dsn
from projector.watches.delivery import Deliverer
from projector.watches.detector import Detector
from projector.watches.session import WatchSession

log = logging.getLogger("lineage.watches")

WATCH_SESSIONS: Final = 2


async def run_watches(settings: Settings) -> None:
    """Decide changes and deliver them until cancelled, riding out database faults."""
    dsn = asyncpg_dsn(settings.resolved_database_url())
    delay = 0.5
    while True:
        session, delivery_session = WatchSession(dsn), WatchSession(dsn)
        deliverer = Deliverer(
            delivery_session,
            retry_seconds=settings.watch_retry_seconds,
            backoff_max_seconds=settings.watch_backoff_max_seconds,
        )
        detector = Detector(session, deliverer.wake.set)
        try:
            await session.open(detector.notified)
            await delivery_session.open()
            delay = 0.5
            async with asyncio.TaskGroup() as group:
                group.create_task(detector.run())
                group.create_task(deliverer.run())
        except* (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as faults:
            log.warning("watches: database fault (%r); again in %.1fs", faults.exceptions, delay)
        except* Exception:
            log.exception("watches failed; again in %.1fs", delay)
        finally:
            await session.close()
            await delivery_session.close()
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)
