"""Run diff: two runs' inputs and outputs matched by (name, suffix), in one statement.

A dobject on both sides (same id) is unchanged when both sides read or produced the
same version of it (or, for an input, none), else changed with its two versions
(docs/reference/versions.md); one `(name, suffix)` held by exactly one
dobject on each side, with different ids, is changed; everything else is added (only
after) or removed (only before). Where several dobjects of one side share a
`(name, suffix)`, nothing pairs them by name: only ids match there. Lists come in
code-point order of (name, suffix) (`COLLATE "C"`, whatever the database's locale),
then by id.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Final

from lineage_read.database import RequestDb
from lineage_read.version_sql import bound_version, input_shown

_DIFF: Final = f"""
WITH sides AS (
    -- an input with the version it read; an output with the version the run produced
    -- (its latest, should it have written several)
    SELECT 'inputs' AS rel, i.run_id AS run, d.id, d.name, d.suffix,
           {bound_version("i", None)} AS version
      FROM projection.run_inputs i JOIN projection.dobjects d ON d.id = i.dobject_id
     WHERE i.run_id IN ($1::uuid, $2::uuid) AND {input_shown("i", None)}
    UNION ALL
    (SELECT DISTINCT ON (v.run_id, d.id) 'outputs', v.run_id, d.id, d.name, d.suffix, v.id
       FROM projection.dobject_versions v JOIN projection.dobjects d ON d.id = v.dobject_id
      WHERE v.run_id IN ($1::uuid, $2::uuid)
      ORDER BY v.run_id, d.id, v.created_at DESC, v.id DESC)
),
counted AS (
    SELECT s.*, count(*) OVER (PARTITION BY run, rel, name, suffix) AS sharing FROM sides s
),
b AS (SELECT * FROM counted WHERE run = $1::uuid),
a AS (SELECT * FROM counted WHERE run = $2::uuid),
pairs AS (
    SELECT coalesce(b.rel, a.rel) AS rel,
           coalesce(b.name, a.name) AS name,
           coalesce(b.suffix, a.suffix) AS suffix,
           b.id AS before_id,
           a.id AS after_id,
           b.version AS before_version,
           a.version AS after_version
      FROM b FULL JOIN a
        -- one id has one (name, suffix): both matches are within one (rel, name, suffix)
        ON a.rel = b.rel AND a.name = b.name AND a.suffix = b.suffix
       AND (a.id = b.id OR (a.sharing = 1 AND b.sharing = 1))
)
SELECT
    EXISTS (SELECT 1 FROM projection.runs WHERE id = $1::uuid) AS before_exists,
    EXISTS (SELECT 1 FROM projection.runs WHERE id = $2::uuid) AS after_exists,
    (SELECT transform_id FROM projection.runs WHERE id = $1::uuid)
      IS DISTINCT FROM (SELECT transform_id FROM projection.runs WHERE id = $2::uuid)
      AS transform_changed,
    (SELECT coalesce(json_agg(json_build_array(rel, before_id, after_id, name, suffix,
                                               before_version, after_version)
                              ORDER BY name COLLATE "C", suffix COLLATE "C",
                                       coalesce(before_id, after_id), after_id), '[]')
       FROM pairs) AS pairs
"""


@dataclass(frozen=True)
class SetDiff:
    added: list[uuid.UUID] = field(default_factory=list)
    removed: list[uuid.UUID] = field(default_factory=list)
    # before, after, name, suffix, before version, after version
    changed: list[tuple[uuid.UUID, uuid.UUID, str, str, uuid.UUID | None, uuid.UUID | None]] = (
        field(default_factory=list)
    )
    unchanged: list[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True)
class RunDiffRows:
    before_exists: bool
    after_exists: bool
    transform_changed: bool
    inputs: SetDiff
    outputs: SetDiff


async def run_diff(db: RequestDb, before: uuid.UUID, after: uuid.UUID) -> RunDiffRows:
    """How run `after` differs from run `before` in transform, inputs and outputs."""
    row = (await db.rows(_DIFF, before, after))[0]
    sets = {"inputs": SetDiff(), "outputs": SetDiff()}
    for rel, before_id, after_id, name, suffix, before_v, after_v in _json(row["pairs"]):
        diff = sets[rel]
        if before_id is None:
            diff.added.append(uuid.UUID(after_id))
        elif after_id is None:
            diff.removed.append(uuid.UUID(before_id))
        elif before_id == after_id and before_v == after_v:
            diff.unchanged.append(uuid.UUID(before_id))
        else:  # another dobject of that (name, suffix), or the same one in another version
            diff.changed.append(
                (
                    uuid.UUID(before_id),
                    uuid.UUID(after_id),
                    name,
                    suffix,
                    _id(before_v),
                    _id(after_v),
                )
            )
    return RunDiffRows(
        bool(row["before_exists"]),
        bool(row["after_exists"]),
        bool(row["transform_changed"]),
        sets["inputs"],
        sets["outputs"],
    )


def _id(value: str | None) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(value)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value
