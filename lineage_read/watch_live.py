"""What the API's live `lineageChanges` subscriptions read: the detector's cursor and the
changes it recorded (public.lineage_changes), and whether a root exists."""

from __future__ import annotations

from typing import Final

from lineage_read.watch_reach import REACHED_ROOTS

__all__ = ["APPLIED", "CHANGES", "DETECTED", "REACHED_ROOTS", "ROOT_EXISTS"]

DETECTED: Final = "SELECT sequence FROM public.watch_detector WHERE id = 1"
# What the projection has applied: a subscription starting now sees the changes of later
# events only, even those of earlier events the detector has not recorded yet.
APPLIED: Final = "SELECT applied_sequence FROM projection.projection_state WHERE id = 1"

# The changes of ($1, $2], in order.
CHANGES: Final = """
SELECT sequence, ordinal, kind, occurred_at, node_id, node_kind, dobject_id, version_id, run_id
  FROM public.lineage_changes
 WHERE sequence > $1::bigint AND sequence <= $2::bigint
 ORDER BY sequence, ordinal
"""

ROOT_EXISTS: Final = {
    "DOBJECT": "SELECT EXISTS (SELECT 1 FROM projection.dobjects WHERE id = $1)",
    "RUN": "SELECT EXISTS (SELECT 1 FROM projection.runs WHERE id = $1)",
}
