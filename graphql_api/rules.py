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


def too_deep_to_parse(query: str) -> GraphQLError | None:
    """QUERY_TOO_COMPLEX for a document nested past MAX_BRACE_DEPTH, before parsing."""
    depth = brace_depth(query)
    if depth <= MAX_BRACE_DEPTH:
        return None
    return GraphQLError(
        f"query nested {depth} braces deep; fields nest at most {MAX_DEPTH} levels",
        extensions={"code": QUERY_TOO_COMPLEX},
    )


def complexity_errors(document: DocumentNode) -> list[GraphQLError]:
    """The QUERY_TOO_COMPLEX errors of a document, read straight off its syntax tree (no
    visitor, no schema): cheap enough to run before every other validation rule."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    errors: list[GraphQLError] = []
    for node in document.definitions:
        if isinstance(node, OperationDefinitionNode):
            errors += _operation_errors(node, fragments)
    return errors


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
