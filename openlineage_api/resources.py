"""What OpenLineage in and the Marquez-shaped read use of the process's resources: the
database they read, the primary they write raw documents to, and JetStream to publish
the lineage they map. The HTTP edge opens them (`app.state.resources`); this part only
says what it needs of that object."""

from __future__ import annotations

from typing import Protocol

from nats.js import JetStreamContext

from lineage_read.database import Database


class Resources(Protocol):
    # where the API reads: the replica of LINEAGE_DATABASE_READ_URL, else the primary
    db: Database
    js: JetStreamContext

    # where the API writes (a read replica takes no writes)
    @property
    def primary(self) -> Database: ...
