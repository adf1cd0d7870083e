"""Pacing sends under a platform's limits: at most `per_second` messages in any one-second
window overall, and one message per `1/per_key` seconds to the same conversation.

The window is tracked over send starts with a small margin, so network jitter between this
process and the platform does not push a burst over the limit.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

MARGIN = 0.05
"""Seconds of slack added to each window: the platform sees arrivals, we see starts."""


class Pacer:
    def __init__(
        self,
        per_second: float,
        per_key: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = max(1, int(per_second))
        self.window = self.capacity / per_second + MARGIN
        self.key_gap = 1.0 / per_key + MARGIN if per_key > 0 else 0.0
        self.clock = clock
        self._starts: deque[float] = deque()
        self._last: dict[str, float] = {}
        self._lock = asyncio.Lock()

    def key_ready_at(self, key: str) -> float:
        """When a message to `key` may start next (a clock value; in the past when it may now)."""
        last = self._last.get(key)
        return float("-inf") if last is None else last + self.key_gap

    async def acquire(self, key: str) -> None:
        """Wait for a slot in the overall window and for `key`'s gap, then take both."""
        async with self._lock:
            while True:
                now = self.clock()
                while self._starts and self._starts[0] <= now - self.window:
                    self._starts.popleft()
                wait = self.key_ready_at(key) - now
                if len(self._starts) >= self.capacity:
                    wait = max(wait, self._starts[0] + self.window - now)
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            self._starts.append(now)
            self._last[key] = now
            if len(self._last) > 10_000:
                self._forget_idle(now)

    def _forget_idle(self, now: float) -> None:
        for key, last in list(self._last.items()):
            if last + self.key_gap < now:
                del self._last[key]
