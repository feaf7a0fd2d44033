"""Filters -> SQL: each nested filter becomes an EXISTS subquery with bound parameters.

The whole filter tree compiles into the WHERE clause of one statement; nothing is
filtered in Python. Every nesting level takes fresh table aliases so the subqueries
correlate with exactly their parent.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, select, true
from sqlalchemy.sql.selectable import NamedFromClause

from graphql_api.inputs import DObjectFilter, RunFilter, TransformFilter
from graphql_api.pagination import parse_id
from lineage_core.db.tables import dobjects, run_inputs, runs, transforms


def _all(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    return and_(*conditions) if conditions else true()


def run_condition(f: RunFilter | None, r: NamedFromClause) -> ColumnElement[bool]:
    """The condition on runs row `r` that `f` means."""
    if f is None:
        return true()
    c: list[ColumnElement[bool]] = []
    if f.id is not None:
        c.append(r.c.id == parse_id(f.id, "run id"))
    if f.name is not None:
        c.append(r.c.name == f.name)
    if f.status is not None:
        c.append(r.c.status == f.status.value)
    if any(v is not None for v in (f.transform_type, f.transform_name, f.transform_version)):
        t = transforms.alias()
        tc: list[ColumnElement[bool]] = [t.c.id == r.c.transform_id]
        if f.transform_type is not None:
            tc.append(t.c.type == f.transform_type.value)
        if f.transform_name is not None:
            tc.append(t.c.name == f.transform_name)
        if f.transform_version is not None:
            tc.append(t.c.version == f.transform_version)
        c.append(exists(select(1).select_from(t).where(*tc)))
    if f.output is not None:
        d = dobjects.alias()
        c.append(exists(select(1).select_from(d).where(
            d.c.source_run_id == r.c.id, dobject_condition(f.output, d))))
    if f.input is not None:
        ri, d = run_inputs.alias(), dobjects.alias()
        c.append(exists(select(1).select_from(ri.join(d, d.c.id == ri.c.dobject_id)).where(
            ri.c.run_id == r.c.id,
            # an input the run itself produced is no input (tables.py)
            d.c.source_run_id.is_distinct_from(r.c.id),
            dobject_condition(f.input, d))))
    return _all(c)


def dobject_condition(f: DObjectFilter | None, d: NamedFromClause) -> ColumnElement[bool]:
    """The condition on dobjects row `d` that `f` means."""
    if f is None:
        return true()
    c: list[ColumnElement[bool]] = []
    if f.id is not None:
        c.append(d.c.id == parse_id(f.id, "dobject id"))
    if f.name is not None:
        c.append(d.c.name == f.name)
    if f.suffix is not None:
        c.append(d.c.suffix == f.suffix)
    if f.hash is not None:
        c.append(d.c.hash == f.hash)
    if f.source is not None:
        r = runs.alias()
        c.append(exists(select(1).select_from(r).where(
            r.c.id == d.c.source_run_id, run_condition(f.source, r))))
    if f.target is not None:
        ri, r = run_inputs.alias(), runs.alias()
        c.append(exists(select(1).select_from(ri.join(r, r.c.id == ri.c.run_id)).where(
            ri.c.dobject_id == d.c.id,
            d.c.source_run_id.is_distinct_from(ri.c.run_id),
            run_condition(f.target, r))))
    return _all(c)


def transform_condition(f: TransformFilter | None, t: NamedFromClause) -> ColumnElement[bool]:
    """The condition on transforms row `t` that `f` means."""
    if f is None:
        return true()
    c: list[ColumnElement[bool]] = []
    if f.id is not None:
        c.append(t.c.id == parse_id(f.id, "transform id"))
    if f.name is not None:
        c.append(t.c.name == f.name)
    if f.version is not None:
        c.append(t.c.version == f.version)
    if f.run is not None:
        r = runs.alias()
        c.append(exists(select(1).select_from(r).where(
            r.c.transform_id == t.c.id, run_condition(f.run, r))))
    return _all(c)
