"""Waking the console's live views when something may have changed (a turn committed, an
operator acted). A wake-up carries no data: listeners read the database again, so a missed or
merged wake-up costs at most one poll interval, and several processes stay correct."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable


class Notifier:
    def __init__(self, relay: Callable[[], None] = lambda: None) -> None:
        """`relay`: passes a touch on to the other processes (their `wake`)."""
        self.relay = relay
        self._waiters: set[asyncio.Event] = set()

    def touch(self) -> None:
        """Something changed here: wake this process's views and the other processes'."""
        self.wake()
        self.relay()

    def wake(self) -> None:
        """Wake this process's views only."""
        for waiter in self._waiters:
            waiter.set()

    async def wait(self, timeout: float) -> bool:
        """Until the next touch (True) or `timeout` seconds (False)."""
        waiter = asyncio.Event()
        self._waiters.add(waiter)
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await waiter.wait()
            return waiter.is_set()
        finally:
            self._waiters.discard(waiter)
