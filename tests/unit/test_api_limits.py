"""The pacer that spreads a caller's subscription events over time (ratelimit.EventPacer),
on a clock the test moves."""

from __future__ import annotations

import pytest

from graphql_api.ratelimit import EventPacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_goes_at_once_then_one_slot_per_event() -> None:
    clock = Clock()
    pacer = EventPacer(rate=10, burst=3, clock=clock)
    # the burst (and the slot being filled) at once
    assert [pacer.delay("a") for _ in range(4)] == [0.0, 0.0, 0.0, 0.0]
    # then each waits one slot (0.1 s) longer than the one before it
    assert [pacer.delay("a") for _ in range(3)] == pytest.approx([0.1, 0.2, 0.3])
    # another key has its own slots
    assert pacer.delay("b") == 0.0


def test_slots_free_up_as_time_passes_and_idle_time_is_not_saved_beyond_the_burst() -> None:
    clock = Clock()
    pacer = EventPacer(rate=10, burst=2, clock=clock)
    for _ in range(6):
        pacer.delay("a")
    clock.now += 0.25  # the reserved slots run to 100.6; 0.35 s of them remain
    assert pacer.delay("a") == pytest.approx(0.15)
    clock.now += 3600  # an hour idle buys a burst, not an hour's worth of events
    delays = [pacer.delay("a") for _ in range(6)]
    assert delays[:3] == [0.0, 0.0, 0.0]
    assert delays[3:] == pytest.approx([0.1, 0.2, 0.3])


def test_rate_zero_turns_the_pacer_off() -> None:
    pacer = EventPacer(rate=0, burst=0, clock=Clock())
    assert all(pacer.delay("a") == 0.0 for _ in range(10_000))


def _codes(query: str) -> list[str]:
    from graphql import parse

    from graphql_api.rules import complexity_errors

    return [str((e.extensions or {}).get("code")) for e in complexity_errors(parse(query))]


def test_documents_too_crowded_for_the_overlap_check_are_refused() -> None:
    # each costs 50-450 ms in graphql-core's OverlappingFieldsCanBeMerged if let through
    repeated = "{ runs { nodes { " + " ".join("id" for _ in range(11)) + " } } }"
    spreads = (
        "{ runs { nodes { "
        + " ".join(f"...f{i}" for i in range(21))
        + " } } } "
        + " ".join(f"fragment f{i} on Run {{ id }}" for i in range(21))
    )
    fragments = "{ runs { nodes { ...f0 } } } " + " ".join(
        f"fragment f{i} on Run {{ id }}" for i in range(31)
    )
    nested = "{ runs { nodes { inputs { " + " ".join("id" for _ in range(11)) + " } } } }"
    for query in (repeated, spreads, fragments, nested):
        assert _codes(query) == ["QUERY_TOO_COMPLEX"], query[:60]
    # what real documents do: a few repeats (per type of an inline fragment) and spreads
    fine = (
        "{ runs { nodes { id ... on Run { id name } ...a ...b } } } "
        "fragment a on Run { id status } fragment b on Run { id transform { name } }"
    )
    assert _codes(fine) == []


async def test_new_long_documents_are_prepared_off_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    from graphql_api import direct
    from graphql_api.schema import build_schema

    schema = build_schema()
    threads: list[str] = []
    parse = direct.documents.parse  # type: ignore[attr-defined]

    def spy(query: str) -> object:
        threads.append(threading.current_thread().name)
        return parse(query)

    monkeypatch.setattr(direct.documents, "parse", spy)  # type: ignore[attr-defined]
    long = "{ runs { nodes { " + " ".join(f"a{i}: id" for i in range(400)) + " } } }"
    assert len(long) > direct.OFFLOAD_CHARS
    await direct._prepared(schema, long)  # new and long: on the parser thread
    await direct._prepared(schema, long)  # cached: a lookup in the loop
    await direct._prepared(schema, "{ runs { totalCount } }")  # short: in the loop
    main = threading.current_thread().name
    assert threads[0].startswith("lineage-parser"), threads
    assert threads[1:] == [main, main]


def test_the_document_cache_is_bounded_by_its_text_too() -> None:
    from graphql_api.documents import DocumentCache

    cache = DocumentCache(maxsize=1000, max_chars=1000)
    small = [f"{{ runs {{ totalCount }} }} # {i}" for i in range(5)]
    for query in small:
        cache.parse(query)
    big = "{ runs { nodes { " + " ".join(f"a{i}: id" for i in range(120)) + " } } }"
    assert len(big) > 900
    cache.parse(big)
    # the oldest went to make room; the newest is kept even alone past the bound
    assert cache.knows(big)
    assert not cache.knows(small[0])
    assert sum(len(q) for q in [*small, big] if cache.knows(q)) <= 1000
    cache.parse("{ runs { nodes { " + " ".join(f"b{i}: id" for i in range(200)) + " } } }")
    assert not cache.knows(big)
