"""Validation rules that refuse expensive documents with QUERY_TOO_COMPLEX."""

from __future__ import annotations

from typing import Any, Final

from graphql import (
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


class ComplexityRule(ValidationRule):
    """At most MAX_DEPTH levels of fields and MAX_ROOT_ALIASES aliased root fields."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        fragments = {
            d.name.value: d
            for d in self.context.document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        depth = _depth(node.selection_set, fragments, frozenset())
        if depth > MAX_DEPTH:
            self.report_error(
                GraphQLError(
                    f"query nested {depth} levels deep; the limit is {MAX_DEPTH}",
                    node,
                    extensions={"code": QUERY_TOO_COMPLEX},
                )
            )
        aliases = _root_aliases(node.selection_set, fragments, frozenset())
        if aliases > MAX_ROOT_ALIASES:
            self.report_error(
                GraphQLError(
                    f"{aliases} aliased root fields; the limit is {MAX_ROOT_ALIASES}",
                    node,
                    extensions={"code": QUERY_TOO_COMPLEX},
                )
            )


__all__ = ["ComplexityRule"]
