"""The web chat's rate limits (token buckets, in memory, per process): a person types and taps a
few times a second at most, a script sending more only fills the inbox.

A visitor is only a cookie, and cookies cost nothing to make: a script minting a fresh one
whenever its bucket runs dry would get round a per-visitor limit alone, and slow everyone
else's replies (`tests/hostile/test_cookie_flood.py`). So the client
address is limited too: how many messages it sends, and how many visitors new to it post from
it. Many people can share one address (a carrier's NAT, a hostel's Wi-Fi), so these limits are
far above what a few people chatting at once need, and far below what a flood needs.

The address is the one the server sees (`request.client`); behind a proxy, the server must be
told to trust its forwarded address, or every visitor shares the proxy's."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

RATE = 5.0
BURST = 5.0
REMEMBERED = 10_000
"""Past this many visitors, those whose bucket has refilled are forgotten (they are as new)."""
ADDRESS_RATE = 2.0
ADDRESS_BURST = 10.0
"""Messages from one address: ten at once, then two a second (forty people each writing
every twenty seconds). Every message let through is a turn, and it is the turns, not the
refusals, that slow everyone else down: at five a second a flood still doubled another
visitor's reply time on PostgreSQL in `tests/hostile/test_cookie_flood.py`."""
NEWCOMER_RATE = 1 / 3
NEWCOMER_BURST = 10.0
"""Visitors posting for the first time from one address: ten at once, then one every three
seconds (1,200 an hour: a very busy shared address), where a flood wants one per message."""
KNOWN_PER_ADDRESS = 64
"""Visitors remembered per address as no longer new; past that, the longest quiet is forgotten
(and counts as new if it posts again)."""


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


class Newcomers:
    """How many visitors new to an address may start posting from it: the first post of a
    cookie this address has not posted with takes a token from the address's bucket."""

    def __init__(
        self,
        rate: float = NEWCOMER_RATE,
        burst: float = NEWCOMER_BURST,
        *,
        known: int = KNOWN_PER_ADDRESS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bucket = RateLimit(rate, burst, clock=clock)
        self.known = known
        self._seen: OrderedDict[str, OrderedDict[str, None]] = OrderedDict()
        """address -> its visitors, the most recent last; the addresses likewise."""

    def allow(self, address: str, visitor: str) -> bool:
        """Whether `visitor` may post from `address` (True at once if it already has)."""
        seen = self._seen.get(address)
        if seen is not None and visitor in seen:
            seen.move_to_end(visitor)
            self._seen.move_to_end(address)
            return True
        if not self.bucket.allow(address):
            return False
        if seen is None:
            seen = self._seen[address] = OrderedDict()
            if len(self._seen) > REMEMBERED:
                self._seen.popitem(last=False)  # the address quiet the longest starts afresh
        self._seen.move_to_end(address)
        seen[visitor] = None
        if len(seen) > self.known:
            seen.popitem(last=False)
        return True
