"""How long a platform's request waits for its update to be recorded: a webhook answers only
once the update is stored (the platform retries otherwise), so the wait needs a bound."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")

RECORD_TIMEOUT = 5.0
"""Seconds a webhook waits for the database to record an update before answering 503 (the
platform retries): a database behind a dead network link does not fail, it hangs, and without
a bound every request would hang with it."""


async def recorded(work: Awaitable[T]) -> T:
    """`work` (recording an update) within RECORD_TIMEOUT, else TimeoutError. A timeout scope,
    not `asyncio.wait_for`, which on Python 3.11 wraps every call in a task of its own."""
    async with asyncio.timeout(RECORD_TIMEOUT):
        return await work
