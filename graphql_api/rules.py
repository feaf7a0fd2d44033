"""Validation rules that refuse expensive documents with QUERY_TOO_COMPLEX."""

from __future__ import annotations

import re
from typing import Any, Final

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)

from graphql_api.errors import QUERY_TOO_COMPLEX

MAX_DEPTH: Final = 15
MAX_ROOT_ALIASES: Final = 50
# Braces nest at least as deep as fields do (inline fragments add braces, not fields):
# past twice the field limit no document can pass the depth rule, so it is refused
# before the parser spends ~100 ms of pure Python on a 10,000-token depth bomb.
MAX_BRACE_DEPTH: Final = 2 * MAX_DEPTH + 1
# Field selections in one document: graphql-core's OverlappingFieldsCanBeMerged compares
# fields pairwise, so 3,000 fields cost seconds of validation; no real question needs this.
MAX_SELECTIONS: Final = 2000
# The same check compares every two fields of one response name in a selection set, and
# every two fragments spread into one: 500 `id`s cost ~50 ms, 400 one-field fragments
# ~450 ms of the event loop. Real documents repeat a name or spread a fragment a few
# times at most.
MAX_SAME_NAME: Final = 10
MAX_SPREADS: Final = 20
MAX_FRAGMENTS: Final = 30
# Longer than any document of at most 10,000 tokens needs to be (with generous layout):
# refused without reading it, where scanning and parsing 1 MiB holds the loop ~0.15 s.
MAX_QUERY_CHARS: Final = 256 * 1024
_NOT_BRACES: Final = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*')


def _depth(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str],
) -> int:
    """Levels of fields below this selection set (fragments are looked through)."""
    if selection_set is None:
        return 0
    deepest = 0
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            deepest = max(deepest, 1 + _depth(sel.selection_set, fragments, seen))
        elif isinstance(sel, InlineFragmentNode):
            deepest = max(deepest, _depth(sel.selection_set, fragments, seen))
        elif isinstance(sel, FragmentSpreadNode):
            name = sel.name.value
            frag = fragments.get(name)
            if frag is not None and name not in seen:  # cycles are another rule's error
                deepest = max(deepest, _depth(frag.selection_set, fragments, seen | {name}))
    return deepest


def _root_aliases(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str],
) -> int:
    count = 0
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            count += sel.alias is not None
        elif isinstance(sel, InlineFragmentNode):
            count += _root_aliases(sel.selection_set, fragments, seen)
        elif isinstance(sel, FragmentSpreadNode):
            name = sel.name.value
            frag = fragments.get(name)
            if frag is not None and name not in seen:
                count += _root_aliases(frag.selection_set, fragments, seen | {name})
    return count


def brace_depth(query: str) -> int:
    """How deep `{` nest in a document's text, strings and comments left out."""
    depth = deepest = 0
    for brace in re.findall(r"[{}]", _NOT_BRACES.sub("", query)):
        depth += 1 if brace == "{" else -1
        deepest = max(deepest, depth)
    return deepest


_SCAN: Final = re.compile(r"[{}()]|[_A-Za-z][_0-9A-Za-z]*\s*:")


def too_deep_to_parse(query: str) -> GraphQLError | None:
    """QUERY_TOO_COMPLEX, before parsing, for a document nested past MAX_BRACE_DEPTH or
    with more than MAX_ROOT_ALIASES aliases at the top of one definition (outside
    arguments): parsing a 10,000-token bomb holds the event loop ~0.1 s."""
    if len(query) > MAX_QUERY_CHARS:
        return GraphQLError(
            f"the document has {len(query)} characters; the limit is {MAX_QUERY_CHARS}",
            extensions={"code": QUERY_TOO_COMPLEX},
        )
    depth = deepest = parens = aliases = most = 0
    for piece in _SCAN.findall(_NOT_BRACES.sub("", query)):
        if piece == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif piece == "}":
            depth -= 1
            if depth == 0:
                aliases = 0  # the next definition counts its own
        elif piece == "(":
            parens += 1
        elif piece == ")":
            parens -= 1
        elif depth == 1 and parens == 0:
            aliases += 1
            most = max(most, aliases)
    if deepest > MAX_BRACE_DEPTH:
        message = f"query nested {deepest} braces deep; fields nest at most {MAX_DEPTH} levels"
    elif most > MAX_ROOT_ALIASES:
        message = f"{most} aliased root fields; the limit is {MAX_ROOT_ALIASES}"
    else:
        return None
    return GraphQLError(message, extensions={"code": QUERY_TOO_COMPLEX})


def complexity_errors(document: DocumentNode) -> list[GraphQLError]:
    """The QUERY_TOO_COMPLEX errors of a document, read straight off its syntax tree (no
    visitor, no schema): cheap enough to run before every other validation rule."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    errors: list[GraphQLError] = []
    selections = sum(
        _selections(d.selection_set) for d in document.definitions if hasattr(d, "selection_set")
    )
    if selections > MAX_SELECTIONS:
        return [
            GraphQLError(
                f"{selections} field selections; the limit is {MAX_SELECTIONS}",
                extensions={"code": QUERY_TOO_COMPLEX},
            )
        ]
    if len(fragments) > MAX_FRAGMENTS:
        message = f"{len(fragments)} fragments; the limit is {MAX_FRAGMENTS}"
        return [GraphQLError(message, extensions={"code": QUERY_TOO_COMPLEX})]
    crowded = next(
        (
            message
            for d in document.definitions
            if hasattr(d, "selection_set")
            for message in [_crowded(d.selection_set)]
            if message is not None
        ),
        None,
    )
    if crowded is not None:
        return [GraphQLError(crowded, extensions={"code": QUERY_TOO_COMPLEX})]
    for node in document.definitions:
        if isinstance(node, OperationDefinitionNode):
            errors += _operation_errors(node, fragments)
    return errors


def _crowded(selection_set: SelectionSetNode | None) -> str | None:
    """Why a selection set (inline fragments count as part of it) or one below it is too
    crowded to check for overlaps cheaply, or None."""
    if selection_set is None:
        return None
    names: dict[str, int] = {}
    spreads = 0
    pending = [selection_set]
    while pending:
        for sel in pending.pop().selections:
            if isinstance(sel, InlineFragmentNode):
                pending.append(sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode):
                spreads += 1
            elif isinstance(sel, FieldNode):
                name = (sel.alias or sel.name).value
                names[name] = names.get(name, 0) + 1
                below = _crowded(sel.selection_set)
                if below is not None:
                    return below
    repeated = max(names.items(), key=lambda item: item[1], default=("", 0))
    if repeated[1] > MAX_SAME_NAME:
        return (
            f"{repeated[0]!r} selected {repeated[1]} times in one selection set; "
            f"the limit is {MAX_SAME_NAME}"
        )
    if spreads > MAX_SPREADS:
        return f"{spreads} fragment spreads in one selection set; the limit is {MAX_SPREADS}"
    return None


def _selections(selection_set: SelectionSetNode | None) -> int:
    if selection_set is None:
        return 0
    return sum(
        1 + _selections(getattr(sel, "selection_set", None)) for sel in selection_set.selections
    )


def _operation_errors(
    node: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> list[GraphQLError]:
    errors = []
    depth = _depth(node.selection_set, fragments, frozenset())
    if depth > MAX_DEPTH:
        errors.append(
            GraphQLError(
                f"query nested {depth} levels deep; the limit is {MAX_DEPTH}",
                node,
                extensions={"code": QUERY_TOO_COMPLEX},
            )
        )
    aliases = _root_aliases(node.selection_set, fragments, frozenset())
    if aliases > MAX_ROOT_ALIASES:
        errors.append(
            GraphQLError(
                f"{aliases} aliased root fields; the limit is {MAX_ROOT_ALIASES}",
                node,
                extensions={"code": QUERY_TOO_COMPLEX},
            )
        )
    return errors


class ComplexityRule(ValidationRule):
    """At most MAX_DEPTH levels of fields and MAX_ROOT_ALIASES aliased root fields."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        fragments = {
            d.name.value: d
            for d in self.context.document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        for error in _operation_errors(node, fragments):
            self.report_error(error)


__all__ = ["ComplexityRule", "complexity_errors"]
