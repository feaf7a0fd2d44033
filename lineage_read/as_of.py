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

Every function returns SQL text around an alias and a `$n` placeholder that the caller
binds to the instant; without an instant (`at is None`) it returns today's condition,
so the statements without asOf stay what they were.
"""

from __future__ import annotations

from typing import Final


def run_exists(r: str, at: str | None) -> str:
    return "true" if at is None else f"{r}.first_seen_at <= {at}"


def dobject_exists(d: str, at: str | None) -> str:
    return "true" if at is None else f"{d}.created_at <= {at}"


def transform_exists(t: str, at: str | None) -> str:
    return "true" if at is None else f"{t}.registered_at <= {at}"


def started(r: str, at: str | None) -> str:
    """The run's RunStarted (transform, name, parent) had occurred."""
    return f"{r}.started_at IS NOT NULL" if at is None else f"{r}.started_at <= {at}"


def status(r: str, at: str | None) -> str:
    """The run's status: STARTED until its RunFinished occurred."""
    if at is None:
        return f"{r}.status"
    return f"(CASE WHEN {r}.finished_at <= {at} THEN {r}.status ELSE 'STARTED' END)"


def output_edge(d: str, at: str | None) -> str:
    """The dobject's source (`{d}.source_run_id`) had been registered."""
    if at is None:
        return f"{d}.source_run_id IS NOT NULL"
    return f"{d}.source_at <= {at}"


def input_edge(i: str, d: str, at: str | None) -> str:
    """The input edge `{i}` (of dobject `{d}`) is shown: loaded, and not the run's own output.

    An edge whose dobject the run itself produced is stored but never shown; as of T it
    is shown when that output registration had not occurred yet."""
    own = f"{d}.source_run_id IS DISTINCT FROM {i}.run_id"
    if at is None:
        return own
    return f"{i}.loaded_at <= {at} AND ({own} OR {d}.source_at > {at})"


# --- the relations of the loaders, as of the instant bound to $2 ---------------------
# The same columns under the same names as dao/rows.py's lists (a unit test holds them
# together), each attribute shown only once the event that set it had occurred.

_AT: Final = "$2::timestamptz"


def run_columns(at: str) -> str:
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


def dobject_columns(at: str) -> str:
    return (
        "d.id, d.name, d.suffix, d.size, d.hash, d.uri, d.created_at, "
        f"CASE WHEN d.source_at <= {at} THEN d.source_run_id END AS source_run_id, d.fields"
    )


RUN_COLUMNS_AT: Final = run_columns(_AT)
DOBJECT_COLUMNS_AT: Final = dobject_columns(_AT)

RUNS: Final = (
    f"SELECT {RUN_COLUMNS_AT} FROM projection.runs r "
    f"WHERE r.id = ANY($1::uuid[]) AND {run_exists('r', _AT)}"
)
DOBJECTS: Final = (
    f"SELECT {DOBJECT_COLUMNS_AT} FROM projection.dobjects d "
    f"WHERE d.id = ANY($1::uuid[]) AND {dobject_exists('d', _AT)}"
)
TRANSFORMS: Final = (
    "SELECT t.id, t.type, t.name, t.version, t.title, t.reference FROM projection.transforms t "
    f"WHERE t.id = ANY($1::uuid[]) AND {transform_exists('t', _AT)}"
)
RUN_INPUTS: Final = (
    f"SELECT {DOBJECT_COLUMNS_AT}, i.run_id AS parent_id FROM projection.run_inputs i "
    "JOIN projection.dobjects d ON d.id = i.dobject_id "
    f"WHERE i.run_id = ANY($1::uuid[]) AND {input_edge('i', 'd', _AT)} "
    "ORDER BY i.loaded_at, d.id"
)
RUN_OUTPUTS: Final = (
    f"SELECT {DOBJECT_COLUMNS_AT}, d.source_run_id AS parent_id FROM projection.dobjects d "
    f"WHERE d.source_run_id = ANY($1::uuid[]) AND {output_edge('d', _AT)} "
    "ORDER BY d.created_at, d.id"
)
DOBJECT_TARGETS: Final = (
    f"SELECT {RUN_COLUMNS_AT}, i.dobject_id AS parent_id FROM projection.run_inputs i "
    "JOIN projection.runs r ON r.id = i.run_id JOIN projection.dobjects d ON d.id = i.dobject_id "
    f"WHERE i.dobject_id = ANY($1::uuid[]) AND {input_edge('i', 'd', _AT)} "
    "ORDER BY r.first_seen_at, r.id"
)
TRANSFORM_RUNS: Final = (
    f"SELECT {RUN_COLUMNS_AT}, r.transform_id AS parent_id FROM projection.runs r "
    f"WHERE r.transform_id = ANY($1::uuid[]) AND {started('r', _AT)} "
    "ORDER BY r.first_seen_at, r.id"
)
UPSTREAM_RUNS: Final = (  # producers (by then) of the run's inputs (by then)
    f"SELECT DISTINCT {RUN_COLUMNS_AT}, i.run_id AS parent_id FROM projection.run_inputs i "
    "JOIN projection.dobjects d ON d.id = i.dobject_id "
    "JOIN projection.runs r ON r.id = d.source_run_id "
    f"WHERE i.run_id = ANY($1::uuid[]) AND r.id <> i.run_id AND i.loaded_at <= {_AT} "
    f"AND {output_edge('d', _AT)} ORDER BY r.first_seen_at, r.id"
)
DOWNSTREAM_RUNS: Final = (  # loaders (by then) of the run's outputs (by then)
    f"SELECT DISTINCT {RUN_COLUMNS_AT}, d.source_run_id AS parent_id FROM projection.dobjects d "
    "JOIN projection.run_inputs i ON i.dobject_id = d.id "
    "JOIN projection.runs r ON r.id = i.run_id "
    f"WHERE d.source_run_id = ANY($1::uuid[]) AND r.id <> d.source_run_id "
    f"AND i.loaded_at <= {_AT} AND {output_edge('d', _AT)} ORDER BY r.first_seen_at, r.id"
)
RUN_CHILDREN: Final = (
    f"SELECT {RUN_COLUMNS_AT}, r.parent_run_id AS parent_id FROM projection.runs r "
    f"WHERE r.parent_run_id = ANY($1::uuid[]) AND {started('r', _AT)} "
    "ORDER BY r.first_seen_at, r.id"
)
