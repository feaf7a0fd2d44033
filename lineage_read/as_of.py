"""`asOf`: the projection as it stood at an instant, as SQL conditions.

The projector keeps, for each attribute, the EARLIEST event that set it (projector/apply.py):
a run's transform, name, start and parent come from its earliest RunStarted, its final
status from its earliest RunFinished, a dobject's attributes from the earliest event
naming it and its source from the earliest OutputRegistered, an input edge from the
earliest InputLoaded. Replaying only the events that occurred by T would therefore pick
the same winner whenever the winner occurred by T, and nothing otherwise. So "as of T"
is a comparison of those stored earliest times with T:

- a run exists from `first_seen_at`; transform, name, startedAt and parent from
  `started_at`; status, finishedAt and error from `finished_at` (before it: STARTED);
- a dobject exists from `created_at`; its source from `source_at`;
- an input edge exists from `loaded_at`, and is hidden (as always) while the dobject's
  source, as of T, is the loading run itself.

A transform's title and reference are the latest ones sent (not the earliest), so they
are shown as they are now; a transform exists from `registered_at`.

Every function returns SQL text around an alias and the placeholder `at` that the
caller binds to the instant; without an instant (`at is None`) it returns today's
condition, so one statement builder serves both (relations.py, lineage.py, impact.py,
filters.py, pages.py). The `*_by` conditions are "true" today: they only date what the
statement's joins already require.
"""

from __future__ import annotations

from lineage_read import version_sql
from lineage_read.rows import DOBJECT_COLUMNS, RUN_COLUMNS


def run_exists(r: str, at: str | None) -> str:
    return "true" if at is None else f"{r}.first_seen_at <= {at}"


def dobject_exists(d: str, at: str | None) -> str:
    return "true" if at is None else f"{d}.created_at <= {at}"


def transform_exists(t: str, at: str | None) -> str:
    return "true" if at is None else f"{t}.registered_at <= {at}"


def started(r: str, at: str | None) -> str:
    """The run's RunStarted (transform, name, parent) had occurred."""
    return f"{r}.started_at IS NOT NULL" if at is None else f"{r}.started_at <= {at}"


def started_by(r: str, at: str | None) -> str:
    """`started`, for a run reached through what its RunStarted set (its transform, its
    parent): today that join is the proof."""
    return "true" if at is None else started(r, at)


def status(r: str, at: str | None) -> str:
    """The run's status: STARTED until its RunFinished occurred."""
    if at is None:
        return f"{r}.status"
    return f"(CASE WHEN {r}.finished_at <= {at} THEN {r}.status ELSE 'STARTED' END)"


def loaded_by(i: str, at: str | None) -> str:
    """The input edge `{i}` had been loaded (its own-output rule aside)."""
    return "true" if at is None else f"{i}.loaded_at <= {at}"


def input_edge(i: str, d: str, at: str | None) -> str:
    """The input edge `{i}` (of dobject `{d}`) is shown: loaded, and not of a dobject the
    run produced a version of (docs/reference/versions.md); as of T, loaded by T and no
    such version created by T."""
    del d  # the rule reads the versions, not the dobject row
    return version_sql.input_shown(i, at)


def wrote(d: str, r: str, at: str | None) -> str:
    """The run `{r}` produced a version of the dobject `{d}` (by `at`)."""
    return version_sql.produced_by(d, r, at)


def version_created(v: str, at: str | None) -> str:
    """The version row `{v}` existed by `at`."""
    return "true" if at is None else f"{v}.created_at <= {at}"


# The columns of a run (alias r) and a dobject (alias d), under the names rows.py reads,
# each attribute shown only once the event that set it had occurred (a unit test holds
# the names together).


def run_columns(at: str | None) -> str:
    if at is None:
        return RUN_COLUMNS
    return (
        f"r.id, CASE WHEN r.started_at <= {at} THEN r.name END AS name, "
        f"{status('r', at)} AS status, "
        f"CASE WHEN r.started_at <= {at} THEN r.started_at END AS started_at, "
        f"CASE WHEN r.finished_at <= {at} THEN r.finished_at END AS finished_at, "
        f"CASE WHEN r.finished_at <= {at} THEN r.error END AS error, "
        f"CASE WHEN r.started_at <= {at} THEN r.transform_id END AS transform_id, "
        "r.first_seen_at, "
        f"CASE WHEN r.started_at <= {at} THEN r.parent_run_id END AS parent_run_id"
    )


def dobject_columns(at: str | None) -> str:
    """As rows.DOBJECT_COLUMNS: the source and the hash, size and fields are those of the
    current version as of `at` (its most recent write by then)."""
    if at is None:
        return DOBJECT_COLUMNS
    current = version_sql.current_version("d.id", at)
    return (
        "d.id, d.name, d.suffix, "
        + version_sql.current_attribute("size", current)
        + ", "
        + version_sql.current_attribute("hash", current)
        + ", d.uri, d.created_at, "
        f"(SELECT sv.run_id FROM {version_sql.V} sv WHERE sv.id = {current}) AS source_run_id, "
        + version_sql.current_attribute("fields", current)
    )


def all_of(*conditions: str) -> str:
    """The conjunction of `conditions`, without the "true" ones (today's statements then
    read as they always did)."""
    kept = [c for c in conditions if c != "true"]
    return " AND ".join(kept) if kept else "true"
