"""No import cycle anywhere in the tree: the graph of every package of the repository
(tests included), built by grimp (the graph import-linter checks), has none among the
imports that run; and among the type-only ones (under `if TYPE_CHECKING:`) only
strawberry's own typing loop may close one: the types name the context their resolvers
get, the context names the loaders, the loaders build the types.

A cycle that landed before this test and that its owners are untangling is listed in
`BEING_UNTANGLED`: it may shrink but not grow, and it must leave the list once it is
gone, so the list only ever gets shorter."""

from __future__ import annotations

from collections.abc import Mapping, Set
from pathlib import Path
from typing import Final

import grimp

ROOT = Path(__file__).resolve().parents[2]
# the one loop type-only imports may close, and nothing else with it
TYPING_LOOP: Final = frozenset({"graphql_api.types", "graphql_api.context", "graphql_api.loaders"})
BEING_UNTANGLED: Final[list[frozenset[str]]] = []
TYPE_ONLY_BEING_UNTANGLED: Final[list[frozenset[str]]] = []


def packages() -> list[str]:
    """Every top-level package of the repository (a folder with an __init__.py)."""
    return sorted(p.parent.name for p in ROOT.glob("*/__init__.py"))


def import_graph(*, type_only_too: bool) -> dict[str, set[str]]:
    """Module -> the modules of the repository it imports (anywhere: a function's
    import counts, it runs when the function does)."""
    graph = grimp.build_graph(
        *packages(), exclude_type_checking_imports=not type_only_too, cache_dir=None
    )
    ours = {m for m in graph.modules if m.split(".")[0] in set(packages())}
    return {m: graph.find_modules_directly_imported_by(m) & ours for m in ours}


def cycles(graph: Mapping[str, Set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module, and modules that
    import themselves (Tarjan's algorithm, iterative: the tree is deep)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            step = next(successors, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph[step]))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(sorted(component))
    return found


def test_finding_cycles() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"a"}}) == [["a"]]


def test_the_packages_are_found() -> None:
    assert {"lineage_core", "lineage_read", "graphql_api", "projector", "tests"} <= set(packages())


def unexcused(
    loops: list[list[str]], allowed: list[frozenset[str]], untangling: list[frozenset[str]]
) -> list[str]:
    """What breaks the rule: a loop that is not within an allowed one, and a loop being
    untangled that no longer closes (its entry must go)."""
    broken = [" -> ".join(loop) for loop in loops if not any(set(loop) <= ok for ok in allowed)]
    broken += [
        f"{sorted(knot)} no longer closes a loop: remove it from the untangling list"
        for knot in untangling
        if not any(set(loop) & knot for loop in loops)
    ]
    return broken


def test_no_cycle_among_the_imports_that_run() -> None:
    loops = cycles(import_graph(type_only_too=False))
    assert unexcused(loops, BEING_UNTANGLED, BEING_UNTANGLED) == []


def test_type_only_imports_close_no_loop_but_strawberrys() -> None:
    loops = cycles(import_graph(type_only_too=True))
    allowed = [TYPING_LOOP, *BEING_UNTANGLED, *TYPE_ONLY_BEING_UNTANGLED]
    assert unexcused(loops, allowed, TYPE_ONLY_BEING_UNTANGLED) == []


def test_the_untangling_lists_only_shrink() -> None:
    knot = frozenset({"a", "b"})
    assert unexcused([["a", "b"]], [knot], [knot]) == []
    assert unexcused([["a", "b", "c"]], [knot], [knot]) == ["a -> b -> c"]  # it grew
    assert unexcused([["x", "y"]], [], []) == ["x -> y"]
    assert unexcused([], [knot], [knot]) != []  # gone: the entry must go too
