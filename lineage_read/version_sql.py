"""Dataset versions as SQL (docs/reference/versions.md): current version, input binding,
staleness, each as an expression around an alias, now or as of an instant.

Every builder takes `at`, a `$n` placeholder bound to the instant, or None for now. As
of T: versions created after T do not exist, writes and loads after T do not count. A
version's own attributes come from its earliest registration, which occurred by T
whenever any of them did, so they need no test beyond `created_at <= T`.

- current version of a dobject: the version of its latest write, ties to the later
  version in (created_at, id) order. Now it is the projector's `current_version_id`;
  as of T it is looked up among the writes by T.
- the version an input (a run_inputs row) is bound to: the version whose hash is the
  load's hash; else the earliest version carrying the load's label; else the latest
  version created at or before the load; else none.
- an input is shown unless its run produced a version of the dobject.
- a version is stale when some shown input of its run is bound to a version that is not
  its dobject's current one.
"""

from __future__ import annotations

from typing import Final

V: Final = "projection.dobject_versions"


def _created_by(v: str, at: str | None) -> str:
    return "" if at is None else f" AND {v}.created_at <= {at}"


def current_version(dobject_id: str, at: str | None) -> str:
    """The id of the current version of the dobject `dobject_id` (an SQL expression)."""
    if at is None:
        return (
            f"(SELECT cd.current_version_id FROM projection.dobjects cd WHERE cd.id = {dobject_id})"
        )
    return (
        "(SELECT cw.version_id FROM projection.dobject_writes cw "
        f"JOIN {V} cv ON cv.id = cw.version_id "
        f"WHERE cw.dobject_id = {dobject_id} AND cw.occurred_at <= {at} "
        "ORDER BY cw.occurred_at DESC, cv.created_at DESC, cv.id DESC LIMIT 1)"
    )


def bound_version(i: str, at: str | None) -> str:
    """The id of the version the input `i` (a run_inputs row) read, or NULL."""
    return (
        "COALESCE("
        f"(SELECT bh.id FROM {V} bh WHERE {i}.hash IS NOT NULL AND bh.dobject_id = {i}.dobject_id "
        f"AND bh.key = 'hash:' || {i}.hash{_created_by('bh', at)}), "
        f"(SELECT bl.id FROM {V} bl WHERE {i}.label IS NOT NULL "
        f"AND bl.dobject_id = {i}.dobject_id AND bl.label = {i}.label{_created_by('bl', at)} "
        "ORDER BY bl.created_at, bl.id LIMIT 1), "
        f"(SELECT bt.id FROM {V} bt WHERE bt.dobject_id = {i}.dobject_id "
        f"AND bt.created_at <= {i}.loaded_at{_created_by('bt', at)} "
        "ORDER BY bt.created_at DESC, bt.id DESC LIMIT 1))"
    )


def produced_by(dobject_id: str, run_id: str, at: str | None) -> str:
    """The run `run_id` produced some version of the dobject `dobject_id`."""
    return (
        f"EXISTS (SELECT 1 FROM {V} pv WHERE pv.run_id = {run_id} "
        f"AND pv.dobject_id = {dobject_id}{_created_by('pv', at)})"
    )


def input_shown(i: str, at: str | None) -> str:
    """The input edge `i` is shown: loaded by then, and not of a dobject its run wrote."""
    loaded = "" if at is None else f"{i}.loaded_at <= {at} AND "
    return f"{loaded}NOT {produced_by(f'{i}.dobject_id', f'{i}.run_id', at)}"


def stale_inputs(run_id: str, at: str | None) -> str:
    """FROM-less SELECT body: the shown inputs of run `run_id` bound to a version that is
    not their dobject's current one; columns dobject_id, loaded_at, version_id.

    A bound version exists by then, so the dobject has a current version by then and
    one `<>` says "bound, and not to the current one". Now, an input whose hash is the
    current version's (its key) is bound to it: that common case is decided from the
    current version row, before the binding's lookups."""
    if at is None:
        return (
            "SELECT si.dobject_id, si.loaded_at, sb.version_id "
            "FROM projection.run_inputs si "
            "JOIN projection.dobjects sd ON sd.id = si.dobject_id "
            f"JOIN {V} sc ON sc.id = sd.current_version_id "
            f"CROSS JOIN LATERAL (SELECT {bound_version('si', at)} AS version_id) sb "
            f"WHERE si.run_id = {run_id} "
            "AND sc.key IS DISTINCT FROM 'hash:' || si.hash "
            f"AND sb.version_id <> sc.id AND {input_shown('si', at)}"
        )
    return (
        "SELECT si.dobject_id, si.loaded_at, sb.version_id "
        "FROM projection.run_inputs si "
        f"CROSS JOIN LATERAL (SELECT {bound_version('si', at)} AS version_id) sb "
        f"WHERE si.run_id = {run_id} AND {input_shown('si', at)} "
        f"AND sb.version_id <> {current_version('si.dobject_id', at)}"
    )


def stale(run_id: str, at: str | None) -> str:
    """A version produced by run `run_id` is stale (an SQL boolean)."""
    return f"EXISTS ({stale_inputs(run_id, at)})"


# The columns of a version row, around alias `v`; `number` is its place in version order.
def version_columns(v: str, at: str | None) -> str:
    return (
        f"{v}.id, {v}.dobject_id, {v}.run_id, {v}.created_at, {v}.size, {v}.hash, {v}.label, "
        f"{v}.fields, (SELECT count(*) FROM {V} nv WHERE nv.dobject_id = {v}.dobject_id "
        f"AND (nv.created_at, nv.id) <= ({v}.created_at, {v}.id))::int AS number, "
        f"{stale(f'{v}.run_id', at)} AS stale"
    )


def current_attribute(column: str, current: str) -> str:
    """`column` (size, hash or fields) of the dobject row `d` as shown: its current
    version's, or for a dobject no run wrote (by then) what its registrations carried."""
    return (
        f"CASE WHEN {current} IS NULL THEN d.{column} "
        f"ELSE (SELECT ca.{column} FROM {V} ca WHERE ca.id = {current}) END AS {column}"
    )
