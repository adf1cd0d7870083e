"""Pacing sends under a platform's limits: at most `per_second` messages in any one-second window
overall, and at most one message per `1/per_key` seconds to the same conversation.

A send counts from the moment it starts until one window after its answer came back. The
platform sees each message arrive somewhere between those two moments, so however the network
delays or bunches requests, it can never see more than the limit within one window: a new send
starts only when fewer than `capacity` others are in flight or answered less than a window ago.
The same holds per conversation: its next message starts a gap after the previous one's answer.
The price is the round trip: the pace is the limit minus the latency's share, not a burst above.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

from bot.aio import wait_event

IDLE_KEYS = 10_000
"""Past this many remembered conversations, the ones whose gap has passed are forgotten."""


class Pacer:
    def __init__(
        self,
        per_second: float,
        per_key: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = max(1, int(per_second))
        # a window under a second would let a fractional rate (2.5/s) exceed itself in a second
        self.window = max(1.0, self.capacity / per_second)
        self.key_gap = 1.0 / per_key if per_key > 0 else 0.0
        self.clock = clock
        self._in_flight = 0
        self._answered: deque[float] = deque()
        self._free_at: dict[str, float] = {}
        self._lock = asyncio.Lock()
        self._released = asyncio.Event()

    def key_ready_at(self, key: str) -> float:
        """When a message to `key` may start (a clock value; -inf when it may now, +inf while
        one is in flight)."""
        return self._free_at.get(key, float("-inf"))

    async def acquire(self, key: str) -> None:
        """Wait until both limits allow a send to `key`; call `release(key)` when it is answered."""
        async with self._lock:
            while True:
                now = self.clock()
                while self._answered and self._answered[0] <= now - self.window:
                    self._answered.popleft()
                wait = self.key_ready_at(key) - now
                if self._in_flight + len(self._answered) >= self.capacity:
                    if self._answered:
                        wait = max(wait, self._answered[0] + self.window - now)
                    else:
                        wait = max(wait, 1.0)  # all in flight: woken by the first release
                if wait <= 0:
                    break
                self._released.clear()
                await wait_event(self._released, wait)
            self._in_flight += 1
            self._free_at[key] = float("inf")

    def release(self, key: str) -> None:
        now = self.clock()
        self._in_flight -= 1
        self._answered.append(now)
        self._free_at[key] = now + self.key_gap
        if len(self._free_at) > IDLE_KEYS:
            for idle, free_at in list(self._free_at.items()):
                if free_at < now:
                    del self._free_at[idle]
        self._released.set()
