"""The pacer in real time, at small rates: how many sends one window holds, the gap per
conversation, and what the platform could see when answers come back late."""

from __future__ import annotations

import asyncio
import math
import random
import time
from bisect import bisect_left
from itertools import pairwise

import pytest

from bot.delivery.pacing import Pacer

EPSILON = 1e-6
"""Float slack: the pacer compares `answered <= now - window`."""
PROMPT = 0.2
"""How soon after being allowed a waiting send must start (event loop and timer slack)."""


def most_within(times: list[float], span: float) -> int:
    """The largest number of `times` inside any half-open interval [t, t + span)."""
    ordered = sorted(times)
    return max(
        (bisect_left(ordered, start + span) - i for i, start in enumerate(ordered)), default=0
    )


async def started(pacer: Pacer, key: str) -> float:
    await pacer.acquire(key)
    return time.monotonic()


def test_rates_become_capacity_window_and_gap() -> None:
    pacer = Pacer(20, 10)
    assert (pacer.capacity, pacer.window, pacer.key_gap) == (20, 1.0, 0.1)
    slow = Pacer(2.5, 0)
    assert (slow.capacity, slow.window, slow.key_gap) == (2, 1.0, 0.0)
    assert Pacer(0.5, 1).capacity == 1 and Pacer(0.5, 1).window == 2.0


def test_most_within_counts_half_open_spans() -> None:
    assert most_within([0.0, 0.5, 1.0, 1.2], 1.0) == 3
    assert most_within([0.0, 0.0, 1.0], 1.0) == 2
    assert most_within([], 1.0) == 0


async def test_instant_answers_never_put_more_than_capacity_in_a_window() -> None:
    pacer = Pacer(2.99, 10)  # capacity 2 in a window of 0.67 s: one wait keeps the test short
    times: list[float] = []
    for key in ("a", "b", "c"):
        times.append(await started(pacer, key))
        pacer.release(key)
    assert most_within(times, pacer.window - EPSILON) <= pacer.capacity
    # the first two go at once; the third waits for the first answer's window, no longer
    assert times[1] - times[0] < 0.05
    assert pacer.window - EPSILON <= times[2] - times[0] < pacer.window + PROMPT


async def test_the_same_conversation_waits_a_gap_after_the_answer() -> None:
    pacer = Pacer(20, 20)
    await pacer.acquire("chat")
    answered = time.monotonic()  # read before release: the gap counts from a later moment
    pacer.release("chat")
    assert pacer.key_ready_at("chat") == pytest.approx(answered + pacer.key_gap, abs=0.01)
    other = await started(pacer, "other")  # another conversation is not held up
    assert other - answered < 0.05
    pacer.release("other")
    again = await started(pacer, "chat")
    assert pacer.key_gap - EPSILON <= again - answered < pacer.key_gap + PROMPT
    pacer.release("chat")


async def test_a_conversation_with_a_send_in_flight_waits_for_its_answer() -> None:
    pacer = Pacer(20, 20)
    await pacer.acquire("chat")
    assert pacer.key_ready_at("chat") == math.inf
    second = asyncio.create_task(started(pacer, "chat"))
    await asyncio.sleep(0.1)
    assert not second.done()
    assert pacer.key_ready_at("chat") == math.inf
    answered = time.monotonic()
    pacer.release("chat")
    again = await asyncio.wait_for(second, timeout=2)
    assert pacer.key_gap - EPSILON <= again - answered < pacer.key_gap + PROMPT
    assert pacer.key_ready_at("chat") == math.inf  # the second send is in flight now
    pacer.release("chat")
    assert pacer.key_ready_at("chat") < math.inf


async def test_with_capacity_in_flight_the_next_send_waits_for_an_answer_and_its_window() -> None:
    pacer = Pacer(2.99, 10)  # capacity 2, window 0.67 s
    began = time.monotonic()
    await pacer.acquire("a")
    await pacer.acquire("b")
    assert time.monotonic() - began < 0.05
    third = asyncio.create_task(started(pacer, "c"))
    await asyncio.sleep(0.05)
    assert not third.done()  # nothing answered: no window can be over yet
    answered = time.monotonic()
    pacer.release("a")
    # the answer just received counts for a window: the third send starts when that is over,
    # promptly then, while "b" is still in flight
    at = await asyncio.wait_for(third, timeout=3)
    assert pacer.window - EPSILON <= at - answered < pacer.window + PROMPT
    pacer.release("b")
    pacer.release("c")


async def test_with_latency_no_second_of_arrivals_holds_more_than_capacity() -> None:
    pacer = Pacer(20, 10)
    rng = random.Random(20240614)
    arrivals: list[float] = []
    sends: dict[str, list[tuple[float, float]]] = {}

    async def conversation(key: str, count: int) -> None:
        for _ in range(count):
            await pacer.acquire(key)
            begun = time.monotonic()
            await asyncio.sleep(rng.uniform(0, 0.03))
            answered = time.monotonic()
            # the platform saw the message at some moment of the round trip
            arrivals.append(rng.uniform(begun, answered))
            sends.setdefault(key, []).append((begun, answered))
            pacer.release(key)

    began = time.monotonic()
    await asyncio.wait_for(
        asyncio.gather(*(conversation(f"chat{i}", 3) for i in range(8))), timeout=5
    )
    elapsed = time.monotonic() - began
    assert len(arrivals) == 24
    assert most_within(arrivals, 1.0) <= pacer.capacity
    for key, spans in sends.items():
        for (_, answered), (begun, _) in pairwise(spans):
            assert begun - answered >= pacer.key_gap - EPSILON, key
    # more than capacity sends need a second window, and not much more than that
    assert 1.0 <= elapsed < 1.0 + 0.03 * 3 + 0.5


class ManualClock:
    """A clock the test moves: the pacer reads it, and never needs to sleep in these tests."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_fractional_rate_still_holds_in_every_second() -> None:
    clock = ManualClock()
    pacer = Pacer(2.5, 0, clock=clock)
    for key in ("a", "b"):
        await asyncio.wait_for(pacer.acquire(key), timeout=0.1)
        pacer.release(key)
    clock.now = 0.8
    # "a" and "b" went at 0.0: a third send at 0.8 would make three in one second
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(pacer.acquire("c"), timeout=0.05)
