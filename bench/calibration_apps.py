"""Reference servers for bench_api.py, run under the same load in the same run.

Shared machines differ from day to day by 2x and more, so the API's figures are also
given relative to two apps whose rates are known on the project's reference machine:
strawberry's `{ hello }` with the parser and validation caches (7.2k req/s there) and a bare
ASGI hello (50k req/s there).

    python bench/calibration_apps.py strawberry|asgi PORT
"""

from __future__ import annotations

import sys

import strawberry
import uvicorn
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache

REFERENCE_RATES = {"strawberry": 7200.0, "asgi": 50000.0}
HELLO_QUERY = "{ hello }"


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


async def bare_asgi(scope: dict, receive, send) -> None:  # type: ignore[no-untyped-def, type-arg]
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    body = b'{"data":{"hello":"world"}}'
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    schema = strawberry.Schema(
        query=Query,
        extensions=[lambda: ParserCache(maxsize=100), lambda: ValidationCache(maxsize=100)],
    )
    app = GraphQL(schema) if kind == "strawberry" else bare_asgi
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", workers=1)


if __name__ == "__main__":
    main()
