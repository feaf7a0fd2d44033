"""Every GraphQL document the SDK sends is valid against the schema that
docs/reference/graphql.md documents, with the additions of versions.md and watches.md,
without a server."""

from __future__ import annotations

import pytest
from graphql import (
    DefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    GraphQLEnumType,
    GraphQLObjectType,
    GraphQLSchema,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    TypeDefinitionNode,
    build_schema,
    extend_schema,
    parse,
    validate,
)

from producer_sdk import query as q
from tests.support.documented_schema import DOCUMENTED_SDL, REFERENCE, documented_sdl

ADDITIONS = ("versions.md", "watches.md")


def with_additions(schema: GraphQLSchema, sdl: str) -> GraphQLSchema:
    """`schema` with a page's SDL. The pages write "added fields" as `type X { ... }` of
    types that exist: those become extensions with only the fields (enum values) that are
    not there yet (an added argument of an existing field is left out)."""
    definitions: list[DefinitionNode] = []
    for node in parse(sdl).definitions:
        known = schema.get_type(node.name.value) if isinstance(node, TypeDefinitionNode) else None
        if known is None:
            definitions.append(node)
        elif isinstance(node, ObjectTypeDefinitionNode) and isinstance(known, GraphQLObjectType):
            fields = tuple(f for f in node.fields or () if f.name.value not in known.fields)
            if fields:
                definitions.append(
                    ObjectTypeExtensionNode(
                        name=node.name, fields=fields, interfaces=(), directives=()
                    )
                )
        elif isinstance(node, EnumTypeDefinitionNode) and isinstance(known, GraphQLEnumType):
            values = tuple(v for v in node.values or () if v.name.value not in known.values)
            if values:
                definitions.append(
                    EnumTypeExtensionNode(name=node.name, values=values, directives=())
                )
    return extend_schema(schema, DocumentNode(definitions=tuple(definitions)))


SCHEMA = build_schema(DOCUMENTED_SDL)
for page in ADDITIONS:
    SCHEMA = with_additions(SCHEMA, documented_sdl(REFERENCE.parent / page))

DOCUMENTS = [
    *(q.build_select([(kind, {})], first=10).document for kind in q.ROOT),
    *(document for document, _ in q.RELATION_DOCUMENTS.values()),
    q.DOBJECT_BY_HASH,
    q.PIPELINES_BY_NAME,
    q.WATCH,
    q.WATCH_WITHOUT_VERSIONS,
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_document_is_valid_against_the_documented_schema(document: str) -> None:
    assert validate(SCHEMA, parse(document)) == []


def coerced(value: object, type_name: str) -> object:
    """graphql-core's input coercion: Undefined when `value` is not a valid `type_name`."""
    from graphql import coerce_input_value

    return coerce_input_value(value, SCHEMA.get_type(type_name))  # type: ignore[arg-type]


def test_filters_of_chains_are_valid_input_values() -> None:
    from graphql.pyutils import Undefined

    chains = [
        [("run", {}), ("dobject", {"name": "output", "suffix": ".bam"})],
        [("notebook", {}), ("run", {"status": "completed"}), ("dobject", {"name": "iris_new"})],
        [("dobject", {"hash": "h"}), ("pipeline", {"name": "p", "v": "1"})],
        [("pipeline", {"name": "p"}), ("dobject", {"id": "7d2c1f44-8a1b-4a55-9e55-0c3c4ad0a3f1"})],
        [("run", {}), ("notebook", {"name": "nb", "version": "2"})],
    ]
    for chain in chains:
        select = q.build_select(chain, first=2)
        value = coerced(select.variables["filter"], q.ROOT[select.kind][1])
        assert value is not Undefined, chain


def test_an_invalid_filter_would_be_caught() -> None:
    from graphql.pyutils import Undefined

    assert coerced({"bogus": 1}, "RunFilter") is Undefined
    assert coerced({"status": "DONE"}, "RunFilter") is Undefined
    assert coerced({"status": "COMPLETED"}, "RunFilter") is not Undefined
