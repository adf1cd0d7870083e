"""A per-visitor rate limit (token bucket, in memory): a person types and taps a few times a
second at most, a script sending more only fills the inbox."""

from __future__ import annotations

import time
from collections.abc import Callable

RATE = 5.0
BURST = 5.0
REMEMBERED = 10_000
"""Past this many visitors, those whose bucket has refilled are forgotten (they are as new)."""


class RateLimit:
    def __init__(
        self,
        rate: float = RATE,
        burst: float = BURST,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        """key -> (tokens, when counted)."""

    def _tokens(self, key: str, now: float) -> float:
        tokens, then = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - then) * self.rate)

    def allow(self, key: str) -> bool:
        """Take one token for `key`; False when none is left."""
        now = self.clock()
        tokens = self._tokens(key, now)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > REMEMBERED:
            for other in list(self._buckets):
                if self._tokens(other, now) >= self.burst:
                    del self._buckets[other]
        return True
