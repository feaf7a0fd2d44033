"""The webhook queue: delivery rows in Postgres, claimed with FOR UPDATE SKIP LOCKED.

Each watch's deliveries go one at a time in (sequence, ordinal) order: only a watch's
head (its first pending delivery) can be claimed, so a receiver that keeps failing holds
up its own watch and no other. A claim is a lease: it moves the head's
next_attempt_at past the attempt's timeout, so a worker that dies mid-attempt leaves
the delivery to be retried (same delivery_id) once the lease ends. The heads are
MATERIALIZED: inlined, the planner re-ran them once per pending row (a claim cost
pending x watches).
"""

from __future__ import annotations

from typing import Final

# $1 most heads, $2 lease in seconds.
CLAIM: Final = """
WITH heads AS MATERIALIZED (
    SELECT h.id
      FROM public.watches w
      CROSS JOIN LATERAL (
        SELECT d.id, d.next_attempt_at FROM public.watch_deliveries d
         WHERE d.watch_id = w.id AND d.state = 'pending'
         ORDER BY d.sequence, d.ordinal LIMIT 1
      ) h
     WHERE h.next_attempt_at <= now()
     LIMIT $1::int
),
locked AS (
    SELECT d.id FROM heads JOIN public.watch_deliveries d ON d.id = heads.id
     WHERE d.state = 'pending' AND d.next_attempt_at <= now()
       FOR UPDATE OF d SKIP LOCKED
)
UPDATE public.watch_deliveries d
   SET next_attempt_at = now() + make_interval(secs => $2::float8),
       attempts = d.attempts + 1,
       first_attempt_at = coalesce(d.first_attempt_at, now())
  FROM locked l, public.watches w
 WHERE d.id = l.id AND w.id = d.watch_id
RETURNING d.id, w.name, w.url, w.secret, d.sequence, d.kind, d.occurred_at, d.distance,
          d.dobject_id, d.version_id, d.run_id, d.attempts,
          extract(epoch FROM now() - d.first_attempt_at)::float8 AS trying_seconds
"""

# After a delivery, the same worker goes on with that watch's next one: $1 the delivered
# delivery (its watch is where to look), $2 lease in seconds. It is marked delivered in
# the same statement, so the watch's next head is claimable at once.
DELIVERED_AND_NEXT: Final = """
WITH done AS (
    UPDATE public.watch_deliveries
       SET state = 'delivered', finished_at = now(), last_error = NULL
     WHERE id = $1 AND state = 'pending'
    RETURNING watch_id, sequence, ordinal
),
heads AS MATERIALIZED (
    SELECT h.id
      FROM done
      JOIN public.watches w ON w.id = done.watch_id
      CROSS JOIN LATERAL (
        SELECT d.id, d.next_attempt_at FROM public.watch_deliveries d
         WHERE d.watch_id = w.id AND d.state = 'pending'
           AND (d.sequence, d.ordinal) > (done.sequence, done.ordinal)
         ORDER BY d.sequence, d.ordinal LIMIT 1
      ) h
     WHERE h.next_attempt_at <= now()
),
locked AS (
    SELECT d.id FROM heads JOIN public.watch_deliveries d ON d.id = heads.id
     WHERE d.state = 'pending' AND d.next_attempt_at <= now()
       FOR UPDATE OF d SKIP LOCKED
)
UPDATE public.watch_deliveries d
   SET next_attempt_at = now() + make_interval(secs => $2::float8),
       attempts = d.attempts + 1,
       first_attempt_at = coalesce(d.first_attempt_at, now())
  FROM locked l, public.watches w
 WHERE d.id = l.id AND w.id = d.watch_id
RETURNING d.id, w.name, w.url, w.secret, d.sequence, d.kind, d.occurred_at, d.distance,
          d.dobject_id, d.version_id, d.run_id, d.attempts,
          extract(epoch FROM now() - d.first_attempt_at)::float8 AS trying_seconds
"""

DELIVERED: Final = """
UPDATE public.watch_deliveries
   SET state = 'delivered', finished_at = now(), last_error = NULL
 WHERE id = $1 AND state = 'pending'
"""
RETRY: Final = """
UPDATE public.watch_deliveries
   SET next_attempt_at = now() + make_interval(secs => $2::float8), last_error = $3
 WHERE id = $1 AND state = 'pending'
"""
FAILED: Final = """
UPDATE public.watch_deliveries
   SET state = 'failed', finished_at = now(), last_error = $2
 WHERE id = $1 AND state = 'pending'
"""
PENDING: Final = "SELECT count(*) FROM public.watch_deliveries WHERE state = 'pending'"
