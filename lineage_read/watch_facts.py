"""The facts the change detector decides from, read for a range of the raw log.

Every statement reads only what the projection had applied by the detector's
transaction: events with a stream sequence in ($1, $2], $2 the applied sequence.
"""

from __future__ import annotations

from typing import Final

# Events that can cause a change, in stream order ($3 at most); an InputLoaded can make
# its run's outputs stale when it arrives after them. `first_of_run`: no
# event of the same type of the same run came earlier in the stream, so a run that
# sends RunStarted twice (or whose RunFinished is re-sent under a new id) is told once.
EVENTS: Final = """
SELECT e.event_id, e.sequence, e.event_type, e.occurred_at, e.run_id,
       e.payload->>'status' AS status,
       (e.payload->'dobject'->>'id')::uuid AS dobject_id,
       NOT EXISTS (SELECT 1 FROM public.raw_events p
                    WHERE p.run_id = e.run_id AND p.event_type = e.event_type
                      AND p.sequence < e.sequence) AS first_of_run
  FROM public.raw_events e
 WHERE e.sequence > $1::bigint AND e.sequence <= $2::bigint
   AND e.event_type IN ('RunStarted', 'RunFinished', 'OutputRegistered', 'InputLoaded')
 ORDER BY e.sequence
 LIMIT $3::int
"""

CURSOR_FOR_UPDATE: Final = "SELECT sequence FROM public.watch_detector WHERE id = 1 FOR UPDATE"
APPLIED: Final = "SELECT applied_sequence FROM projection.projection_state WHERE id = 1"
ADVANCE: Final = "UPDATE public.watch_detector SET sequence = $1, updated_at = now() WHERE id = 1"
ANY_WATCH: Final = "SELECT EXISTS (SELECT 1 FROM public.watches)"

INSERT_CHANGES: Final = """
INSERT INTO public.lineage_changes
    (sequence, ordinal, kind, occurred_at, node_id, node_kind, dobject_id, version_id, run_id)
SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::text[], $4::timestamptz[],
                     $5::uuid[], $6::text[], $7::uuid[], $8::uuid[], $9::uuid[])
ON CONFLICT (sequence, ordinal) DO NOTHING
"""

# Live subscriptions read the changes of the last hour; older ones are history.
PRUNE_CHANGES: Final = (
    "DELETE FROM public.lineage_changes WHERE created_at < now() - interval '1 hour'"
)
