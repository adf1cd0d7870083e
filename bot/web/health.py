"""Whether the database answers, quickly: /healthz depends on it."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)


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
