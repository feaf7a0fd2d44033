"""Every private strawberry and graphql-core name the API relies on
(graphql_api/_strawberry_compat.py, graphql_api/_graphql_compat.py), checked against
the installed versions. A failure names the symbol an upgrade removed or changed."""

from __future__ import annotations

import asyncio
import enum
import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import graphql
import pytest
import strawberry
from graphql import FieldNode, GraphQLSchema, GraphQLSyntaxError, parse, specified_rules

from graphql_api import _graphql_compat, _strawberry_compat
from graphql_api._strawberry_compat import (
    enum_class,
    executor_class,
    field_nodes,
    graphql_schema,
    input_definition,
    is_awaitable,
    optional_inner,
    resolver_function,
    set_from_input,
    strawberry_field,
    validate_document,
)
from graphql_api.schema import LineageExecutor


@contextmanager
def relied_on(framework: str, symbol: str) -> Iterator[None]:
    """Turn any failure inside into one that says which private name broke."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - whatever broke, name the symbol
        pytest.fail(
            f"{framework} no longer provides {symbol} as the API relies on it "
            f"(graphql_api/_{framework.replace('-', '')}_compat.py): "
            f"{type(error).__name__}: {error}",
            pytrace=False,
        )


@strawberry.enum
class Color(enum.Enum):
    RED = "red"


@strawberry.input
class Paint:
    color: Color | None = None


seen: dict[str, Any] = {}


def plain_resolver() -> str:
    return "plain"


@strawberry.type
class Query:
    name: str = "attribute"
    plain: str = strawberry.field(resolver=plain_resolver)

    @strawberry.field
    def paint(self, info: strawberry.Info, paint: Paint) -> str:
        try:
            seen["field_nodes"] = field_nodes(info)
        except Exception as error:  # noqa: BLE001 - reported by the test under its name
            seen["field_nodes"] = error
        seen["paint"] = paint
        return "ok"


def test_strawberry_schema_internals() -> None:
    schema = strawberry.Schema(query=Query)
    with relied_on("strawberry", "Schema._schema"):
        core = graphql_schema(schema)
        assert isinstance(core, GraphQLSchema)
    with relied_on("strawberry", "Schema.execution_context_class"):
        executor = executor_class(schema)
        assert inspect.isclass(executor)
        assert issubclass(executor, graphql.Executor)
    with relied_on("strawberry", "strawberry.schema.schema.validate_document"):
        document = parse("{ name }")
        assert validate_document(core, document, tuple(specified_rules)) == []
        bad = validate_document(core, parse("{ nope }"), tuple(specified_rules))
        assert len(bad) == 1
    with relied_on("strawberry", "strawberry.execution.optimized_is_awaitable"):
        coroutine = asyncio.sleep(0)
        assert is_awaitable(coroutine)
        assert not is_awaitable(1)
        assert not is_awaitable("x")
        coroutine.close()  # type: ignore[attr-defined]


def test_strawberry_field_internals() -> None:
    core = graphql_schema(strawberry.Schema(query=Query))
    fields = core.type_map["Query"].fields  # type: ignore[attr-defined]
    with relied_on("strawberry", "GraphQLCoreConverter.DEFINITION_BACKREF"):
        definitions = {name: strawberry_field(field) for name, field in fields.items()}
        assert all(d is not None for d in definitions.values()), definitions
    with relied_on("strawberry", "StrawberryField.base_resolver / python_name"):
        assert resolver_function(definitions["name"]) is None  # type: ignore[arg-type]
        assert definitions["name"].python_name == "name"
    with relied_on("strawberry", "StrawberryResolver._unbound_wrapped_func"):
        assert resolver_function(definitions["plain"]) is plain_resolver  # type: ignore[arg-type]
    with relied_on("strawberry", "StrawberryField.arguments / extensions / is_subscription"):
        paint = definitions["paint"]
        assert paint is not None
        assert [a.python_name for a in paint.arguments] == ["paint"]
        assert paint.extensions == []
        assert paint.is_subscription is False


def test_strawberry_input_and_info_internals() -> None:
    with relied_on("strawberry", "__strawberry_definition__.fields"):
        [field] = input_definition(Paint).fields
    with relied_on("strawberry", "strawberry.types.base.StrawberryOptional"):
        inner = optional_inner(field.type)
    with relied_on("strawberry", "strawberry.types.enum.StrawberryEnumDefinition"):
        assert enum_class(inner) is Color
    built: list[Any] = []
    set_from_input(Paint, lambda value: built.append(value) or Paint(color=Color.RED))  # type: ignore[func-returns-value]
    schema = strawberry.Schema(query=Query)
    result = schema.execute_sync("{ paint(paint: {color: RED}) }")
    with relied_on("strawberry", "StrawberryObjectDefinition.from_input"):
        assert result.errors is None, result.errors
        assert len(built) == 1, built
        assert Color(built[0]["color"]) is Color.RED  # the builder converts either form
        assert seen["paint"] == Paint(color=Color.RED)
    with relied_on("strawberry", "Info._raw_info.field_nodes"):
        if isinstance(seen["field_nodes"], Exception):
            raise seen["field_nodes"]
        [node] = seen["field_nodes"]
        assert isinstance(node, FieldNode)
        assert node.name.value == "paint"


def test_graphql_core_internals() -> None:
    with relied_on("graphql-core", "the max_tokens message of graphql.language.parser"):
        with pytest.raises(GraphQLSyntaxError) as refused:
            parse("{ a b c d e }", max_tokens=3)
        assert _graphql_compat.is_token_limit(refused.value)
        with pytest.raises(GraphQLSyntaxError) as wrong:
            parse("{ a ")
        assert not _graphql_compat.is_token_limit(wrong.value)
    with relied_on("graphql-core", "execute(executor_class=, is_awaitable=)"):
        parameters = inspect.signature(graphql.execute).parameters
        assert {"executor_class", "is_awaitable"} <= parameters.keys()


def _memo_after(executor_class: Any, events: int) -> int:
    """The subscription executor's memo of subfields after `events` events."""
    schema = graphql.build_schema(
        "type Query { a: Int } type Tick { n: Int } type Subscription { tick: Tick }"
    )
    executor = executor_class.build(schema, parse("subscription { tick { n } }"))
    for n in range(events):
        result = executor.build_per_event_executor({"tick": {"n": n}}).execute_operation()
        assert result.data == {"tick": {"n": n}}
    return int(_graphql_compat.memo_size(executor))


def test_subscription_events_leave_nothing_behind_in_the_executor() -> None:
    with relied_on("graphql-core", "Executor._relevant_sub_fields"):
        upstream = _memo_after(graphql.Executor, 50)
    # graphql-core's own executor keeps an entry per event: the leak LineageExecutor
    # works around (when this fails, upstream fixed it and forget_subfields may go)
    assert upstream == 50, "graphql-core no longer grows the memo per event"
    assert _memo_after(LineageExecutor, 50) <= 1


def test_a_parsed_document_leaves_no_cycle_and_keeps_its_error_locations() -> None:
    import gc

    from graphql_api.documents import parse_bounded

    query = "{ runs { nodes { " + " ".join("id" for _ in range(300)) + " } } }"
    gc.collect()
    gc.disable()
    try:
        with relied_on("graphql-core", "Token.next, read by nothing after parsing"):
            document = parse_bounded(query)
            del document
            # freed by reference counting: nothing left for the collector
            assert gc.collect() == 0
            plain = parse(query)
            del plain
            assert gc.collect() > 300  # graphql-core's own parse leaves a cycle per token
    finally:
        gc.enable()
    schema = graphql.build_schema("type Query { a: Int }")
    errors = graphql.validate(schema, parse_bounded("{ a\n  b }"))
    assert [(e.locations[0].line, e.locations[0].column) for e in errors or []] == [(2, 3)]


def test_the_fences_are_the_only_private_uses() -> None:
    """No module of graphql_api but the compat modules reaches into strawberry's
    internals (the names the compat modules wrap)."""
    import pathlib

    root = pathlib.Path(_strawberry_compat.__file__).parent
    private = (
        "._schema",
        "_raw_info",
        "_unbound_wrapped_func",
        "DEFINITION_BACKREF",
        "__strawberry_definition__",
        "optimized_is_awaitable",
        "strawberry.types.base",
        "strawberry.types.enum",
        "strawberry.schema.schema ",
        "Document contains more than",
        "StrawberryGraphQLCoreExecutionContext",
        "_relevant_sub_fields",
        "start_token",
    )
    offenders = [
        f"{path.relative_to(root)}: {name}"
        for path in root.rglob("*.py")
        if not path.name.startswith("_") or path.name == "__init__.py"
        for name in private
        if name in path.read_text()
    ]
    assert offenders == []
