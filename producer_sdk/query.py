"""select/join chains -> one GraphQL document each (pure: no I/O, unit-tested alone).

`select(A, **fields).join(B, **fields).join(C, **fields)` selects A records related to a B
that matches, which is related to a C that matches:

- `Run -> DObject`: the run's outputs (the run that produced it);
- `DObject -> Run`: the DObject's source run;
- `Notebook`/`Pipeline -> Run`: the transform's runs;
- `Run -> Notebook`/`Pipeline`: the run's transform;
- `DObject -> Notebook`/`Pipeline`: the transform of its source run;
- `Notebook`/`Pipeline -> DObject`: a run of the transform produced it.

Each chain compiles to one nested GraphQL filter (docs/reference/graphql.md), which the
service compiles to SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

Kind = str  # "dobject" | "run" | "notebook" | "pipeline"
TRANSFORM_KINDS: Final = ("notebook", "pipeline")

FIELDS: Final[dict[Kind, dict[str, str]]] = {
    # SDK keyword -> filter field
    "dobject": {"id": "id", "name": "name", "suffix": "suffix", "hash": "hash"},
    "run": {"id": "id", "name": "name", "status": "status"},
    "notebook": {"id": "id", "name": "name", "version": "version", "v": "version"},
    "pipeline": {"id": "id", "name": "name", "version": "version", "v": "version"},
}
ROOT: Final[dict[Kind, tuple[str, str]]] = {
    # kind -> (root field, filter input type)
    "dobject": ("dobjects", "DObjectFilter"),
    "run": ("runs", "RunFilter"),
    "notebook": ("notebooks", "TransformFilter"),
    "pipeline": ("pipelines", "TransformFilter"),
}

TRANSFORM_SELECTION: Final = (
    "__typename id type name version ... on Notebook { title } ... on Pipeline { reference }"
)
SELECTION: Final[dict[Kind, str]] = {
    "dobject": "id name suffix size hash uri createdAt",
    "run": f"id name status startedAt finishedAt transform {{ {TRANSFORM_SELECTION} }}",
    "notebook": "id type name version title",
    "pipeline": "id type name version reference",
}
MAX_PAGE: Final = 1000

# Dataset versions (docs/reference/versions.md). A version inside `staleInputs` or an
# input entry is read without its own `staleInputs` (one level is what a reader needs).
VERSION_CORE: Final = (
    "id number createdAt hash size label stale fields { name type description } "
    f"run {{ {SELECTION['run']} }} dobject {{ {SELECTION['dobject']} }}"
)
INPUT_VERSION: Final = f"loadedAt dobject {{ {SELECTION['dobject']} }} version {{ {VERSION_CORE} }}"
VERSION: Final = f"{VERSION_CORE} staleInputs {{ {INPUT_VERSION} }}"
# Answered once the projection has applied this process's events (read-your-writes): a
# watch subscribes after it, so its root and the changes before it are already applied.
CAUGHT_UP: Final = "query CaughtUp { projectionStatus { appliedSequence } }"
# docs/reference/watches.md; variables from `watching.watch_variables`.
WATCH_ROOT: Final = (
    "subscription Watch($dobjectId: ID, $runId: ID, $direction: LineageDirection, "
    "$depth: Int, $kinds: [ChangeKind!]) { lineageChanges(dobjectId: $dobjectId, "
    "runId: $runId, direction: $direction, depth: $depth, kinds: $kinds) { kind sequence "
    f"occurredAt distance dobject {{ {SELECTION['dobject']} }} run {{ {SELECTION['run']} }}"
)
WATCH: Final = f"{WATCH_ROOT} version {{ {VERSION_CORE} }} }} }}"
# The same without `version`, for a service that serves watches but not dataset versions
# yet (`watching.Subscription` falls back to it when the service says so).
WATCH_WITHOUT_VERSIONS: Final = f"{WATCH_ROOT} }} }}"


def kind_of(model: object) -> Kind:
    """The record kind of a model class (`ln.DObject`, `lns.Run`, `ln.Run`, ...)."""
    kind = getattr(model, "__lineage_kind__", None)
    if kind not in FIELDS:
        raise TypeError(
            f"cannot select {model!r}: use ln.DObject, lns.Run, lns.Notebook or lns.Pipeline"
        )
    return str(kind)


def field_filter(kind: Kind, fields: dict[str, Any]) -> dict[str, Any]:
    """Keyword fields of one chain step -> that step's GraphQL filter object."""
    allowed = FIELDS[kind]
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key not in allowed:
            raise TypeError(
                f"{_label(kind)} cannot be filtered by {key!r}; use {', '.join(sorted(allowed))}"
            )
        if value is None:
            continue
        text = str(value)  # UUIDs, numbers: the API's filters take strings
        out[allowed[key]] = text.upper() if key == "status" else text
    return out


def _transform_in_run(
    kind: Kind, step: dict[str, Any], nested: dict[str, Any] | None
) -> dict[str, Any]:
    """A transform step seen from a run: the RunFilter's flat transform fields."""
    if nested:
        raise TypeError(
            f"a join after {_label(kind)} from a run is not supported; "
            f"start the chain at {_label(kind)} instead"
        )
    if "id" in step:
        raise TypeError(f"join {_label(kind)} by name/version, not id")
    out: dict[str, Any] = {"transformType": kind.upper()}
    if "name" in step:
        out["transformName"] = step["name"]
    if "version" in step:
        out["transformVersion"] = step["version"]
    return out


def chain_filter(chain: list[tuple[Kind, dict[str, Any]]]) -> dict[str, Any]:
    """The root filter of a chain `[(kind, fields), ...]` (first item = selected kind)."""
    nested: dict[str, Any] | None = None
    for i in range(len(chain) - 1, 0, -1):
        parent, _ = chain[i - 1]
        kind, fields = chain[i]
        step = field_filter(kind, fields)
        nested = _relate(parent, kind, step, nested)
    root_kind, root_fields = chain[0]
    root = field_filter(root_kind, root_fields)
    if nested:
        root.update(nested)
    return root


def _relate(
    parent: Kind, kind: Kind, step: dict[str, Any], nested: dict[str, Any] | None
) -> dict[str, Any]:
    """The part of `parent`'s filter that says "related to a `kind` matching step+nested"."""
    inner = {**step, **(nested or {})}
    if parent == "run" and kind == "dobject":
        return {"output": inner}
    if parent == "dobject" and kind == "run":
        return {"source": inner}
    if parent in TRANSFORM_KINDS and kind == "run":
        return {"run": inner}
    if parent == "run" and kind in TRANSFORM_KINDS:
        return _transform_in_run(kind, step, nested)
    if parent == "dobject" and kind in TRANSFORM_KINDS:
        return {"source": _transform_in_run(kind, step, nested)}
    if parent in TRANSFORM_KINDS and kind == "dobject":
        return {"run": {"output": inner}}
    raise TypeError(
        f"cannot join {_label(kind)} to {_label(parent)}: supported joins are Run -> DObject, "
        "DObject -> Run, Notebook/Pipeline -> Run, Run -> Notebook/Pipeline, "
        "DObject -> Notebook/Pipeline, Notebook/Pipeline -> DObject"
    )


@dataclass(frozen=True)
class Select:
    """One GraphQL request for a chain: document, variables, and where the rows are."""

    kind: Kind
    document: str
    variables: dict[str, Any]
    root: str


def build_select(
    chain: list[tuple[Kind, dict[str, Any]]], first: int, after: str | None = None
) -> Select:
    """The GraphQL request that answers a chain, `first` rows from cursor `after`."""
    kind = chain[0][0]
    root, filter_type = ROOT[kind]
    document = (
        f"query Select($filter: {filter_type}, $first: Int, $after: String) "
        f"{{ {root}(filter: $filter, first: $first, after: $after) "
        f"{{ totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ {SELECTION[kind]} }} }} }}"
    )
    variables: dict[str, Any] = {"filter": chain_filter(chain), "first": min(first, MAX_PAGE)}
    if after is not None:
        variables["after"] = after
    return Select(kind, document, variables, root)


# Relations read on access (one request each).
RELATION_DOCUMENTS: Final[dict[tuple[Kind, str], tuple[str, Kind]]] = {
    ("dobject", "source"): (
        f"query($id: ID!) {{ dobject(id: $id) {{ source {{ {SELECTION['run']} }} }} }}",
        "run",
    ),
    ("dobject", "targets"): (
        f"query($id: ID!) {{ dobject(id: $id) {{ targets {{ {SELECTION['run']} }} }} }}",
        "run",
    ),
    ("run", "inputs"): (
        f"query($id: ID!) {{ run(id: $id) {{ inputs {{ {SELECTION['dobject']} }} }} }}",
        "dobject",
    ),
    ("run", "outputs"): (
        f"query($id: ID!) {{ run(id: $id) {{ outputs {{ {SELECTION['dobject']} }} }} }}",
        "dobject",
    ),
    ("run", "input_versions"): (
        f"query($id: ID!) {{ run(id: $id) {{ inputVersions {{ {INPUT_VERSION} }} }} }}",
        "input_version",
    ),
    ("run", "output_versions"): (
        f"query($id: ID!) {{ run(id: $id) {{ outputVersions {{ {VERSION} }} }} }}",
        "version",
    ),
    ("dobject", "current_version"): (
        f"query($id: ID!) {{ dobject(id: $id) {{ currentVersion {{ {VERSION} }} }} }}",
        "version",
    ),
    ("dobject", "versions"): (
        (
            "query($id: ID!, $first: Int, $after: String) { dobject(id: $id) { "
            "versions(first: $first, after: $after) { totalCount pageInfo { hasNextPage "
            f"endCursor }} nodes {{ {VERSION} }} }} }} }}"
        ),
        "version",
    ),
}
# The GraphQL field of each relation (the SDK's names are snake_case).
RELATION_FIELDS: Final = {
    "input_versions": "inputVersions",
    "output_versions": "outputVersions",
    "current_version": "currentVersion",
}


def relation_rows(data: dict[str, Any], owner: Kind, relation: str) -> list[dict[str, Any]]:
    """The related rows out of a RELATION_DOCUMENTS answer (none if the owner is unknown)."""
    node = data.get("dobject" if owner == "dobject" else "run")
    if not node:
        return []
    value = node.get(RELATION_FIELDS.get(relation, relation))
    if value is None:
        return []
    if isinstance(value, dict) and "nodes" in value:  # a page of `versions`
        return list(value["nodes"])
    return value if isinstance(value, list) else [value]


def next_cursor(data: dict[str, Any], owner: Kind, relation: str) -> str | None:
    """The cursor of the next page of a paged relation (`versions`), or None."""
    node = data.get("dobject" if owner == "dobject" else "run") or {}
    info = (node.get(RELATION_FIELDS.get(relation, relation)) or {}).get("pageInfo") or {}
    return info.get("endCursor") if info.get("hasNextPage") else None


def page_rows(data: dict[str, Any], select: Select) -> tuple[list[dict[str, Any]], int, str | None]:
    """(rows, totalCount, next cursor or None) out of a build_select answer."""
    conn = data[select.root]
    info = conn.get("pageInfo") or {}
    cursor = info.get("endCursor") if info.get("hasNextPage") else None
    return list(conn["nodes"]), int(conn.get("totalCount", len(conn["nodes"]))), cursor


DOBJECT_BY_HASH: Final = (
    f"query($hash: String!) {{ dobjects(filter: {{hash: $hash}}, first: 1) "
    f"{{ nodes {{ {SELECTION['dobject']} }} }} }}"
)
PIPELINES_BY_NAME: Final = (
    f"query($name: String!) {{ pipelines(filter: {{name: $name}}, first: {MAX_PAGE}) "
    f"{{ nodes {{ {SELECTION['pipeline']} }} }} }}"
)


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Natural order of versions: "10" > "9", "1.10" > "1.9"; numbers sort before words."""
    chunks = version.replace("-", ".").replace("_", ".").split(".")
    return tuple((0, int(chunk)) if chunk.isdigit() else (1, chunk) for chunk in chunks)


def _label(kind: Kind) -> str:
    return {"dobject": "DObject", "run": "Run", "notebook": "Notebook", "pipeline": "Pipeline"}[
        kind
    ]


def describe(chain: list[tuple[Kind, dict[str, Any]]]) -> str:
    """`select(DObject, name='input').join(Run)`, as typed: for error messages."""
    parts = []
    for i, (kind, fields) in enumerate(chain):
        args = ", ".join([_label(kind), *(f"{k}={v!r}" for k, v in fields.items())])
        parts.append(f"{'select' if i == 0 else 'join'}({args})")
    return ".".join(parts)
