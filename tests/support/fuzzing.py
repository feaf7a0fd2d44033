"""Fuzz targets: what hostile input the service must shrug off, and how it must answer.

Shared by bench/fuzz.py (at least 100,000 inputs per target) and the test suite (a
short, seeded slice of each). Each target is a Hypothesis strategy of inputs and a check
that raises AssertionError (or anything else: a crash) when the service misbehaves:

- events: any bytes on a `lineage.>` subject. The projector's batch decoding (its fast
  path and the slow path of lineage_core.events) accepts the bytes or parks them with a
  reason; an accepted event decodes the same on the slow path and re-encodes to itself.
- openlineage: any body posted to /api/v1/lineage. It is refused with a reason (a 400)
  or accepted, and every event it maps to is one the projector accepts.
- graphql: any document (valid ones generated from the schema, invalid ones, bombs)
  with hostile cursors and ids as variables. No HTTP 500, no INTERNAL error.
"""

from __future__ import annotations

import copy
import json
import random
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema
from hypothesis_graphql import nodes as gql_nodes
from nats.aio.msg import Msg

from lineage_core import events
from lineage_core.events import decode, encode
from openlineage_api.ingest import interpret
from openlineage_api.mapping import event_time
from projector.consumer import decode_batch
from projector.dlq import header_text

# the slow, step-by-step decoder the fast path must agree with (named decode_stepwise
# where the fast path lives inside lineage_core.events.decode)
REFERENCE_DECODE: Final = getattr(events, "decode_stepwise", events.decode)
GOLDEN: Final = Path(__file__).resolve().parent.parent / "golden"
ACK_REPLY: Final = "$JS.ACK.LINEAGE.projector.1.7.7.1700000000000000000.0"

# strings that broke parsers somewhere: NUL, lone surrogates (JSON-escaped), no offset,
# over the limits, SQL and GraphQL syntax, huge numbers
NASTY_STRINGS: Final = (
    "",
    "\x00",
    "\ud800",
    "a" * 513,
    "b" * 4097,
    "2026-01-01T00:00:00",
    "2026-13-45T99:99:99+25:00",
    "00000000-0000-0000-0000-000000000000",
    "not-a-uuid",
    "'; DROP TABLE public.raw_events; --",
    "{ __schema { types { name } } }",
    "\u202e\ufeff",
)
NASTY_NUMBERS: Final = (0, -1, 2**63, -(2**63) - 1, 10**400, 1e308, -0.0)


def _golden_events() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(GOLDEN.glob("*/*.json"))]


def json_values() -> st.SearchStrategy[Any]:
    leaves = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.sampled_from(NASTY_NUMBERS)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=40)
        | st.sampled_from(NASTY_STRINGS)
    )
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=10,
    )


@st.composite
def _mutated(draw: st.DrawFn, bases: list[dict[str, Any]]) -> Any:
    """A valid document with one to three fields dropped, replaced or added."""
    doc = copy.deepcopy(draw(st.sampled_from(bases)))
    for _ in range(draw(st.integers(1, 3))):
        holders = [doc, *_nested_dicts(doc)]
        target = draw(st.sampled_from(holders))
        action = draw(st.sampled_from(("drop", "replace", "add", "version")))
        if action == "drop" and target:
            del target[draw(st.sampled_from(sorted(target)))]
        elif action == "replace" and target:
            target[draw(st.sampled_from(sorted(target)))] = draw(json_values())
        elif action == "add":
            target[draw(st.text(max_size=12))] = draw(json_values())
        else:
            doc["schema_version"] = draw(st.integers(-1, 4) | json_values())
    return doc


def _nested_dicts(value: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    children = value.values() if isinstance(value, dict) else value
    if isinstance(value, dict | list):
        for child in children:
            if isinstance(child, dict):
                found.append(child)
            found += _nested_dicts(child)
    return found


def _as_bytes(draw: st.DrawFn, doc: Any) -> bytes:
    """JSON of `doc`, sometimes cut short or with a byte flipped."""
    raw = json.dumps(doc).encode()
    damage = draw(st.sampled_from(("none", "none", "cut", "flip")))
    if damage == "cut" and raw:
        return raw[: draw(st.integers(0, len(raw) - 1))]
    if damage == "flip" and raw:
        at = draw(st.integers(0, len(raw) - 1))
        return raw[:at] + bytes([raw[at] ^ draw(st.integers(1, 255))]) + raw[at + 1 :]
    return raw


@st.composite
def _document_bytes(draw: st.DrawFn, documents: st.SearchStrategy[Any]) -> bytes:
    return _as_bytes(draw, draw(documents))


def event_inputs() -> st.SearchStrategy[bytes]:
    bases = _golden_events()
    return st.one_of(
        st.binary(max_size=200),
        _document_bytes(json_values()),
        _document_bytes(_mutated(bases)),
        _document_bytes(st.sampled_from(bases)),
    )


def check_event(raw: bytes) -> None:
    """Accepted (and the slow path agrees) or parked with a reason: nothing else."""
    decoded = decode_batch([Msg(None, subject="lineage.run.started", reply=ACK_REPLY, data=raw)])  # type: ignore[arg-type]
    assert len(decoded.accepted) + len(decoded.bad) == 1
    if decoded.bad:
        ((_, reason),) = decoded.bad
        assert isinstance(reason, str)
        assert header_text(reason), "a parked event needs a reason"
        return
    (accepted,) = decoded.accepted
    assert REFERENCE_DECODE(raw) == accepted.event, "the fast and the slow paths disagree"
    assert decode(encode(accepted.event)) == accepted.event
    assert json.loads(accepted.payload) == json.loads(raw)


OPENLINEAGE_EVENT: Final[dict[str, Any]] = {
    "eventType": "COMPLETE",
    "eventTime": "2026-11-25T01:02:03.123456789",
    "producer": "https://example.org/producer",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    "run": {
        "runId": "41fb5137-f0fd-4ee5-ba5c-56f8571d1bd7",
        "facets": {
            "parent": {
                "run": {"runId": "51fb5137-f0fd-4ee5-ba5c-56f8571d1bd7"},
                "job": {"namespace": "airflow", "name": "dag"},
            },
            "errorMessage": {"message": "boom", "programmingLanguage": "python"},
        },
    },
    "job": {
        "namespace": "airflow",
        "name": "align",
        "facets": {"sourceCodeLocation": {"version": "abc123"}},
    },
    "inputs": [{"namespace": "s3://bucket", "name": "raw/input.fastq.gz"}],
    "outputs": [
        {
            "namespace": "postgres://db",
            "name": "lab.public.reads",
            "facets": {
                "schema": {"fields": [{"name": "id", "type": "int"}]},
                "columnLineage": {
                    "fields": {
                        "id": {
                            "inputFields": [
                                {
                                    "namespace": "s3://bucket",
                                    "name": "raw/input.fastq.gz",
                                    "field": "id",
                                }
                            ]
                        }
                    }
                },
            },
            "outputFacets": {"outputStatistics": {"size": 42}},
        }
    ],
}


def openlineage_inputs() -> st.SearchStrategy[bytes]:
    bases = [OPENLINEAGE_EVENT]
    documents = _mutated(bases)
    return st.one_of(
        st.binary(max_size=200),
        _document_bytes(json_values()),
        _document_bytes(documents),
        _document_bytes(st.lists(documents, min_size=0, max_size=3)),
    )


def check_openlineage(body: bytes) -> None:
    """Refused with a reason, or accepted as events the projector accepts as they are."""
    result = interpret(body)
    if isinstance(result, str):
        assert result.strip(), "a refusal needs a reason"
        return
    for item in result.items:
        event_time(item.event)  # what the ingest stores beside the raw document
        for event in item.lineage:
            assert decode(encode(event)) == event, "the ingest made an event the projector parks"


SCHEMA_SDL: Final = Path(__file__).resolve().parents[2] / "docs" / "reference" / "schema.graphql"


def _custom_scalars() -> dict[str, st.SearchStrategy[Any]]:
    return {
        "DateTime": st.sampled_from(["2026-01-01T00:00:00Z", "yesterday", ""]).map(
            gql_nodes.String
        ),
        "JSON": st.text(max_size=10).map(gql_nodes.String),
        "BigInt": st.integers(-(2**70), 2**70).map(gql_nodes.Int),
    }


QUERIES_WITH_VARIABLES: Final = (
    "query($id: ID!) { run(id: $id) { id status inputs { id } } }",
    "query($id: ID!) { dobject(id: $id) { id source { id } targets { id } } }",
    (
        "query($c: String, $n: Int) { dobjects(first: $n, after: $c) "
        "{ nodes { id } pageInfo { endCursor hasNextPage } } }"
    ),
    (
        "query($c: String, $n: Int) { runs(first: $n, after: $c) "
        "{ totalCount pageInfo { endCursor } } }"
    ),
    "query($id: ID, $d: Int) { lineage(dobjectId: $id, depth: $d) { truncated nodes { id } } }",
    "query($id: ID, $d: Int) { lineage(runId: $id, depth: $d, direction: BOTH) { root } }",
)


def _bomb(depth: int, aliases: int) -> str:
    inner = "id"
    for _ in range(depth):
        inner = f"source {{ targets {{ {inner} }} }}"
    roots = " ".join(f"a{i}: dobjects(first: 1) {{ nodes {{ {inner} }} }}" for i in range(aliases))
    return "{ " + roots + " }"


def graphql_inputs() -> st.SearchStrategy[dict[str, Any]]:
    """Request bodies for POST /graphql."""
    sdl = SCHEMA_SDL.read_text()
    scalars = _custom_scalars()
    valid = from_schema(sdl, custom_scalars=scalars, fields=None).map(lambda q: {"query": q})
    invalid = from_schema(sdl, custom_scalars=scalars, mode=Mode.NEGATIVE).map(
        lambda q: {"query": q}
    )
    hostile_ids = st.text(max_size=60) | st.uuids().map(str) | st.sampled_from(NASTY_STRINGS)
    with_variables = st.builds(
        lambda q, i, c, n, d: {
            "query": q,
            "variables": {"id": i, "c": c, "n": n, "d": d},
        },
        st.sampled_from(QUERIES_WITH_VARIABLES),
        hostile_ids,
        hostile_ids | st.binary(max_size=30).map(lambda b: b.hex()),
        st.integers(-5, 5000) | st.sampled_from(NASTY_NUMBERS) | st.none(),
        st.integers(-5, 60) | st.none(),
    )
    bombs = st.builds(_bomb, st.integers(1, 40), st.integers(1, 80)).map(lambda q: {"query": q})
    garbage = st.one_of(
        st.text(max_size=200).map(lambda q: {"query": q}),
        json_values().map(lambda v: {"query": v}),
        json_values().map(lambda v: {"query": "{ runs { totalCount } }", "variables": v}),
    )
    return st.one_of(valid, invalid, with_variables, bombs, garbage)


async def check_graphql(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    """No 500 and no INTERNAL error, whatever was asked."""
    answer = await client.post(
        "/graphql",
        content=json.dumps(body).encode(),  # ASCII escapes: lone surrogates travel too
        headers={"content-type": "application/json"},
    )
    assert answer.status_code < 500, f"HTTP {answer.status_code}: {answer.text[:300]}"
    if not answer.headers.get("content-type", "").startswith("application/json"):
        assert answer.status_code >= 400  # strawberry's plain-text refusals of bad requests
        return
    data = answer.json()
    codes = [e.get("extensions", {}).get("code") for e in data.get("errors") or []]
    assert "INTERNAL" not in codes, f"INTERNAL error: {answer.text[:300]}"


def fuzz_settings(examples: int, *, derandomize: bool = True) -> settings:
    """Hypothesis settings of a fuzz run: `examples` inputs, no deadline, no database;
    derandomized (the same inputs every run) unless a seed is given with `hypothesis.seed`."""
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        suppress_health_check=list(HealthCheck),
    )


TARGETS: Final[dict[str, tuple[Callable[[], st.SearchStrategy[Any]], Callable[..., Any]]]] = {
    "events": (event_inputs, check_event),
    "openlineage": (openlineage_inputs, check_openlineage),
}


# --- a fast, seeded mutation fuzzer for long runs (bench/fuzz.py) ----------------------
# Hypothesis draws a few hundred of these structured inputs a second here; the bench needs
# 100,000 per target, so it mutates the same seeds with a plain seeded random.Random.


def random_json(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.55:
        return rng.choice(
            [
                None,
                True,
                False,
                rng.randint(-(2**70), 2**70),
                rng.choice(NASTY_NUMBERS),
                rng.random() * 10 ** rng.randint(-5, 300),
                rng.choice(NASTY_STRINGS),
                "".join(chr(rng.randint(0, 0x2FFF)) for _ in range(rng.randint(0, 12))),
            ]
        )
    if roll < 0.8:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {
        rng.choice(["", "id", "name", "x", "schema_version", "\x00"]): random_json(rng, depth + 1)
        for _ in range(rng.randint(0, 4))
    }


def mutate_document(rng: random.Random, base: Any) -> Any:
    doc = copy.deepcopy(base)
    for _ in range(rng.randint(1, 3)):
        target = rng.choice([doc, *_nested_dicts(doc)]) if isinstance(doc, dict) else None
        if not isinstance(target, dict):
            return random_json(rng)
        action = rng.choice(("drop", "replace", "add", "version"))
        if action == "drop" and target:
            del target[rng.choice(sorted(target))]
        elif action == "replace" and target:
            target[rng.choice(sorted(target))] = random_json(rng)
        elif action == "add":
            target[rng.choice(["extra", "", "Id", "\x00", "schema_version"])] = random_json(rng)
        else:
            doc["schema_version"] = rng.choice([-1, 0, 1, 2, 3, "1", 1.0, None, True])
    return doc


def damage(rng: random.Random, raw: bytes) -> bytes:
    roll = rng.random()
    if roll < 0.6 or not raw:
        return raw
    at = rng.randrange(len(raw))
    if roll < 0.75:
        return raw[:at]
    if roll < 0.9:
        return raw[:at] + bytes([raw[at] ^ rng.randint(1, 255)]) + raw[at + 1 :]
    return raw[:at] + rng.randbytes(rng.randint(1, 8)) + raw[at:]


def random_event(rng: random.Random, bases: list[dict[str, Any]]) -> bytes:
    roll = rng.random()
    if roll < 0.1:
        return rng.randbytes(rng.randint(0, 200))
    doc = random_json(rng) if roll < 0.2 else mutate_document(rng, rng.choice(bases))
    return damage(rng, json.dumps(doc).encode())


def random_openlineage(rng: random.Random) -> bytes:
    roll = rng.random()
    if roll < 0.1:
        return rng.randbytes(rng.randint(0, 200))
    if roll < 0.2:
        doc: Any = random_json(rng)
    elif roll < 0.35:
        doc = [mutate_document(rng, OPENLINEAGE_EVENT) for _ in range(rng.randint(0, 3))]
    else:
        doc = mutate_document(rng, OPENLINEAGE_EVENT)
    return damage(rng, json.dumps(doc).encode())


def graphql_seed_documents(count: int) -> list[str]:
    """Documents generated from the schema by hypothesis-graphql, valid and invalid."""
    sdl = SCHEMA_SDL.read_text()
    found: list[str] = []
    for mode in (Mode.POSITIVE, Mode.NEGATIVE):
        strategy = from_schema(sdl, custom_scalars=_custom_scalars(), mode=mode)

        def collect(query: Any) -> None:
            found.append(query if isinstance(query, str) else str(query))

        fuzz_settings(count // 2)(given(strategy)(collect))()
    return found


def random_graphql(rng: random.Random, documents: list[str]) -> dict[str, Any]:
    roll = rng.random()
    hostile_id = rng.choice(
        [*NASTY_STRINGS, str(uuid.UUID(int=rng.getrandbits(128))), rng.randbytes(12).hex()]
    )
    if roll < 0.45:
        return {"query": damage(rng, rng.choice(documents).encode()).decode("utf-8", "replace")}
    if roll < 0.8:
        return {
            "query": rng.choice(QUERIES_WITH_VARIABLES),
            "variables": {
                "id": hostile_id,
                "c": rng.choice([hostile_id, rng.randbytes(rng.randint(0, 40)).hex(), None]),
                "n": rng.choice([None, -1, 0, 1, 1000, 1001, 2**40, 1.5, "10"]),
                "d": rng.choice([None, -1, 0, 1, 50, 51, 10**9]),
            },
        }
    if roll < 0.9:
        return {"query": _bomb(rng.randint(1, 40), rng.randint(1, 80))}
    return {"query": random_json(rng), "variables": random_json(rng)}
