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
