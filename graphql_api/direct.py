"""The plain case of POST /graphql, answered without strawberry's HTTP view.

Almost every request is a JSON body `{"query", "variables"?, "operationName"?}` whose
document holds only queries. For those the endpoint runs graphql-core's execution itself
(as `schema.execute` would, see `run_query`) and writes the answer: strawberry's view
would spend as much time on content negotiation, request and response objects as the
query takes to run. Anything else (GET, multipart, other content types, malformed
bodies, syntax errors, mutations, an unknown operation name) goes to strawberry's view,
which answers it as before. Queries have no side effects, so handing over is always
safe.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final
from urllib.parse import parse_qs

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    execute,
    specified_rules,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType as StrawberryOperationType

from graphql_api import _strawberry_compat
from graphql_api.context import RequestContext
from graphql_api.documents import RequestPipeline, documents
from graphql_api.errors import BAD_USER_INPUT, error_body, format_error
from graphql_api.ratelimit import charged_to_caller
from graphql_api.rules import ComplexityRule
from graphql_api.schema import LineageSchema

_KEYS: Final = frozenset({"query", "variables", "operationName"})
# new documents longer than this are parsed and validated off the event loop, one at a time
OFFLOAD_CHARS: Final = 2048
PARSER: Final = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lineage-parser")
# what RequestPipeline makes of strawberry's default rules (schema.py)
VALIDATION_RULES: Final = (*specified_rules, ComplexityRule)
_QUERY_ONLY: Final = frozenset({StrawberryOperationType.QUERY})
SUBSCRIPTION_OVER_HTTP: Final = (
    "subscriptions are served over WebSocket at /graphql (graphql-transport-ws)"
)


def answer_of(result: ExecutionResult, request_id: str) -> dict[str, Any]:
    """The JSON answer of an executed operation (errors coded, internal ones masked)."""
    out: dict[str, Any] = {"data": result.data}
    if result.errors:
        out["errors"] = [format_error(e, request_id) for e in result.errors]
    if result.extensions:
        out["extensions"] = result.extensions
    return out


def is_json(content_type: bytes | None) -> bool:
    if content_type is None:
        return False
    return content_type.split(b";", 1)[0].strip().lower() == b"application/json"


def plain_request(body: bytes) -> tuple[str, dict[str, Any] | None, str | None] | None:
    """(query, variables, operation name) of a plain JSON request, else None."""
    try:
        with charged_to_caller():  # decoding a big body is parsing too (ratelimit.CpuBudget)
            data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not data.keys() <= _KEYS:
        return None
    query, variables, name = data.get("query"), data.get("variables"), data.get("operationName")
    if not isinstance(query, str) or not query:
        return None
    if not (variables is None or isinstance(variables, dict)):
        return None
    if not (name is None or isinstance(name, str)):
        return None
    return query, variables, name


def _selected(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation `name` picks (the only one when None); None if it picks none or the
    document holds more than operations and fragments (the view then answers the error)."""
    operations = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            operations.append(definition)
        elif not isinstance(definition, FragmentDefinitionNode):
            return None
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((op for op in operations if op.name is not None and op.name.value == name), None)


def _encode(answer: dict[str, Any]) -> bytes:
    return json.dumps(answer, separators=(",", ":")).encode()


async def execute_plain(
    schema: LineageSchema, body: bytes, context: RequestContext
) -> bytes | None:
    """The answer's JSON for a plain query request, or None to hand it to the view.

    A subscription sent over HTTP is refused here with a pointer to the WebSocket
    protocol (strawberry's view would run it as a query and fail)."""
    request = plain_request(body)
    if request is None:
        return None
    query, variables, name = request
    try:
        document = await _prepared(schema, query)
    except GraphQLError as error:
        if (error.extensions or {}).get("code"):
            # refused by a limit (QUERY_TOO_COMPLEX): answered here, where the body was
            # decoded once, rather than by the view, which would decode it again
            return _encode({"data": None, "errors": [format_error(error, context.request_id)]})
        return None  # a syntax error: the view answers it
    operation = _selected(document, name)
    if operation is not None and operation.operation == OperationType.SUBSCRIPTION:
        return _subscription_refusal(context.request_id)
    if operation is None or operation.operation != OperationType.QUERY:
        return None
    if list(schema.extensions) != [RequestPipeline]:  # someone added one: let it run
        result = await schema.execute(
            query,
            variable_values=variables,
            context_value=context,
            operation_name=name,
            allowed_operation_types=_QUERY_ONLY,
        )
    else:
        result = await run_query(
            schema, query, document, variables=variables, operation=operation, context=context
        )
    return _encode(answer_of(result, context.request_id))


async def _prepared(schema: LineageSchema, query: str) -> DocumentNode:
    """The parsed document, parsed and validated (both cached) on the parser thread when
    it is new and longer than OFFLOAD_CHARS: there it shares the interpreter with the
    event loop in short slices, where in the loop it would hold every other request for
    the whole of it (up to ~0.1 s for a document at the limits of rules.py)."""
    if len(query) <= OFFLOAD_CHARS or documents.knows(query):
        return documents.parse(query)

    def prepare() -> DocumentNode:
        document = documents.parse(query)
        graphql_schema = _strawberry_compat.graphql_schema(schema)
        documents.validate(graphql_schema, query, document, VALIDATION_RULES)
        return document

    run = contextvars.copy_context().run  # the caller the time is charged to goes along
    return await asyncio.get_running_loop().run_in_executor(PARSER, run, prepare)


async def run_query(
    schema: LineageSchema,
    query: str,
    document: DocumentNode,
    *,
    variables: dict[str, Any] | None,
    operation: OperationDefinitionNode,
    context: RequestContext,
) -> Any:
    """What `schema.execute` does for a query under RequestPipeline, without strawberry's
    per-request extension machinery: validation (cached), graphql-core's execution with
    strawberry's executor class, the metrics."""
    started = time.perf_counter()
    graphql_schema = _strawberry_compat.graphql_schema(schema)
    errors = documents.validate(graphql_schema, query, document, VALIDATION_RULES)
    result: GraphQLExecutionResult
    if errors:
        result = GraphQLExecutionResult(data=None, errors=errors)
    else:
        name = operation.name.value if operation.name is not None else None
        executed = execute(
            graphql_schema,
            document,
            variable_values=variables,
            operation_name=name,
            context_value=context,
            is_awaitable=_strawberry_compat.is_awaitable,
            executor_class=_strawberry_compat.executor_class(schema),
            operation_extensions=None,
        )
        result = await executed if inspect.isawaitable(executed) else executed
    context.metrics.observe(
        operation.name.value if operation.name else "anonymous",
        time.perf_counter() - started,
        ok=not result.errors,
    )
    return result


def get_refusal(query_string: bytes, request_id: str) -> bytes | None:
    """The refusal of a subscription sent as GET, else None (the view answers)."""
    params = parse_qs(query_string.decode("latin-1"))
    query, name = params.get("query", [None])[0], params.get("operationName", [None])[0]
    if query is None:
        return None
    try:
        document = documents.parse(query)
    except GraphQLError:
        return None
    operation = _selected(document, name)
    if operation is None or operation.operation != OperationType.SUBSCRIPTION:
        return None
    return _subscription_refusal(request_id)


def _subscription_refusal(request_id: str) -> bytes:
    refusal = error_body(BAD_USER_INPUT, SUBSCRIPTION_OVER_HTTP)
    refusal["errors"][0]["extensions"]["requestId"] = request_id
    return _encode(refusal)
