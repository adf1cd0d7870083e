"""The pieces each visitor was sent in the last two minutes, so a page whose connection dropped
gets again what was written into the dead connection.

A phone switching networks leaves a connection that still takes writes for a while: the
server sees the piece written (the outbox counts it delivered and forgets it) but the page never
reads it. EventSource reconnects with the id of the last event it did read (Last-Event-ID), and
the hub sends what came after it from here. Ids carry a random prefix of this process, so an
id from before a restart is not mistaken for one of ours. Kept in memory only: after a restart
there is nothing to send again.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Any

KEEP_SECONDS = 120.0
PER_VISITOR = 20
REMEMBERED = 10_000
"""Past this many visitors, those with nothing recent are forgotten."""


class Replay:
    def __init__(
        self,
        *,
        keep_seconds: float = KEEP_SECONDS,
        per_visitor: int = PER_VISITOR,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.keep_seconds = keep_seconds
        self.per_visitor = per_visitor
        self.clock = clock
        self.epoch = secrets.token_hex(4)
        self._numbers = itertools.count(1)
        self._sent: dict[str, deque[tuple[int, float, Any]]] = {}

    def new_id(self) -> tuple[int, str]:
        """A number for the next piece, and its event id."""
        number = next(self._numbers)
        return number, f"{self.epoch}.{number}"

    def number_of(self, event_id: str | None) -> int | None:
        """The number of one of our event ids; None for anything else."""
        epoch, _, number = (event_id or "").partition(".")
        if epoch != self.epoch or not (number.isascii() and number.isdigit()) or len(number) > 18:
            return None
        return int(number)

    def remember(self, address: str, number: int, piece: Any) -> None:
        now = self.clock()
        sent = self._sent.setdefault(address, deque(maxlen=self.per_visitor))
        sent.append((number, now, piece))
        if len(self._sent) > REMEMBERED:
            for other, pieces in list(self._sent.items()):
                if now - pieces[-1][1] >= self.keep_seconds:
                    del self._sent[other]

    def since(self, address: str, event_id: str | None) -> list[tuple[str, Any]]:
        """(event id, piece) sent to `address` after `event_id`, recent ones only, in order."""
        after = self.number_of(event_id)
        if after is None:
            return []
        now = self.clock()
        return [
            (f"{self.epoch}.{number}", piece)
            for number, at, piece in sorted(self._sent.get(address, ()), key=lambda s: s[0])
            if number > after and now - at < self.keep_seconds
        ]
