"""The webhook queue: delivery rows in Postgres, claimed with FOR UPDATE SKIP LOCKED.

Each watch's deliveries go one at a time in (sequence, ordinal) order: only a watch's
head (its first pending delivery) can be claimed, so a receiver that keeps failing holds
up its own watch and no other. A claim is a lease: it moves the head's
next_attempt_at past the attempt's timeout, so a worker that dies mid-attempt leaves
the delivery to be retried (same delivery_id) once the lease ends. The heads are
MATERIALIZED: inlined, the planner re-ran them once per pending row (a claim cost
pending x watches).

Attempts are recorded in batches: one statement records every attempt that finished
since the last one (delivered, retried or failed) and claims, for each watch whose head
was delivered or failed, its next head, so a busy queue costs one statement per batch,
not per delivery.
"""

from __future__ import annotations

from typing import Final

# What a claim returns: everything an attempt needs, without another read.
_CLAIMED: Final = """
UPDATE public.watch_deliveries d
   SET next_attempt_at = now() + make_interval(secs => $LEASE::float8),
       attempts = d.attempts + 1,
       first_attempt_at = coalesce(d.first_attempt_at, now())
  FROM locked l, public.watches w
 WHERE d.id = l.id AND w.id = d.watch_id
RETURNING d.id, d.watch_id, w.name, w.url, w.secret, d.sequence, d.kind, d.occurred_at,
          d.distance, d.dobject_id, d.version_id, d.run_id, d.attempts,
          extract(epoch FROM now() - d.first_attempt_at)::float8 AS trying_seconds
"""

_LOCKED: Final = """
locked AS (
    SELECT d.id FROM heads JOIN public.watch_deliveries d ON d.id = heads.id
     WHERE d.state = 'pending' AND d.next_attempt_at <= now()
       FOR UPDATE OF d SKIP LOCKED
)
"""

# $1 most heads, $2 lease in seconds.
CLAIM: Final = (
    """
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
),"""
    + _LOCKED
    + _CLAIMED.replace("$LEASE", "$2")
)

# The attempts that finished: $1 delivery ids, $2 outcomes ('delivered' | 'retry' |
# 'failed'), $3 retry delays in seconds, $4 errors; $5 the lease of the next heads.
# A delivered or failed head lets its watch's next delivery go, claimed here (the
# statement's snapshot still shows the finished head pending: hence "after it").
RECORD: Final = (
    """
WITH finished AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::text[])
        AS f(id, outcome, delay, error)
),
done AS (
    UPDATE public.watch_deliveries d
       SET state = CASE f.outcome WHEN 'retry' THEN 'pending' ELSE f.outcome END,
           finished_at = CASE WHEN f.outcome = 'retry' THEN NULL ELSE now() END,
           next_attempt_at = CASE WHEN f.outcome = 'retry'
                                  THEN now() + make_interval(secs => f.delay)
                                  ELSE d.next_attempt_at END,
           last_error = f.error,
           last_failed_at = CASE WHEN f.error IS NULL THEN d.last_failed_at ELSE now() END
      FROM finished f
     WHERE d.id = f.id AND d.state = 'pending'
    RETURNING d.watch_id, d.sequence, d.ordinal, f.outcome
),
heads AS MATERIALIZED (
    SELECT h.id
      FROM done
      CROSS JOIN LATERAL (
        SELECT d.id, d.next_attempt_at FROM public.watch_deliveries d
         WHERE d.watch_id = done.watch_id AND d.state = 'pending'
           AND (d.sequence, d.ordinal) > (done.sequence, done.ordinal)
         ORDER BY d.sequence, d.ordinal LIMIT 1
      ) h
     WHERE done.outcome <> 'retry' AND h.next_attempt_at <= now()
),"""
    + _LOCKED
    + _CLAIMED.replace("$LEASE", "$5")
)

PENDING: Final = "SELECT count(*) FROM public.watch_deliveries WHERE state = 'pending'"
