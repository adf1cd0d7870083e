"""Whether the database answers, quickly: /healthz and the webhooks' 503 depend on it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

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


async def database_ok(db: AsyncEngine, timeout: float = 3.0) -> bool:
    async def probe() -> None:
        async with db.connect() as connection:
            await connection.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(probe(), timeout=timeout)
    except Exception:
        log.warning("health: the database does not answer")
        return False
    return True
