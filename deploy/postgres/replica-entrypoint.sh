#!/bin/bash
# The streaming replica: on first start, copy the primary (pg_basebackup -R writes
# standby.signal and primary_conninfo), then run as a hot standby.
set -euo pipefail
export PGPASSWORD="$REPLICATION_PASSWORD"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_basebackup -h "$PRIMARY_HOST" -U replicator -D "$PGDATA" -R -X stream -c fast; do
        echo "waiting for the primary at $PRIMARY_HOST ..." >&2
        rm -rf "${PGDATA:?}"/*
        sleep 2
    done
    chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on
