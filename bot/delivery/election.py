"""Choosing the one process that does a job which must not run twice at once: sending to a
platform whose limits count per bot (Telegram's 30 messages a second), long polling (Telegram
answers a second getUpdates with 409 Conflict).

On PostgreSQL the chosen process holds a session advisory lock on a connection of its own and
checks every second that the connection lives. If that process dies, PostgreSQL drops its
connection and with it the lock, and a waiting process takes over within a second. If the
database goes away, the holder stops at its next check, so two holders never act at once for
longer than that check (and then only over messages already in flight). SQLite serves one
process, which always leads.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

import asyncpg

log = logging.getLogger(__name__)

CHECK = 1.0
SETTLE = 1.2
"""Seconds a process that took over waits before acting: the platforms count per second (30 a
second per bot, one a second per chat), and the last second of the previous holder's sends
must have passed first, or the new holder's first burst would push over the limit."""


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for a job name."""
    return int.from_bytes(hashlib.sha256(f"bot:{name}".encode()).digest()[:8], "big", signed=True)


class Election:
    def __init__(
        self, dsn: str | None, name: str, *, check: float = CHECK, settle: float = SETTLE
    ) -> None:
        self.dsn = dsn
        self.name = name
        self.check = check
        self.settle = settle
        self.leading = asyncio.Event()
        """Set while this process is the one to do the job."""
        if dsn is None:
            self.leading.set()

    async def run(self) -> None:
        """Campaign until cancelled (returns at once without PostgreSQL: always leading)."""
        if self.dsn is None:
            return
        key = lock_key(self.name)
        failures = 0
        contested = False  # someone else held it, or we did and lost it: they may have just acted
        while True:
            connection: asyncpg.Connection | None = None
            try:
                connection = await asyncpg.connect(self.dsn, timeout=5)
                failures = 0
                while not await self._ask(connection, "SELECT pg_try_advisory_lock($1)", key):
                    contested = True
                    await asyncio.sleep(self.check)
                if contested:
                    await asyncio.sleep(self.settle)
                contested = True
                self.leading.set()
                log.info("%s: this process leads", self.name)
                while True:
                    await asyncio.sleep(self.check)
                    await self._ask(connection, "SELECT 1")
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                failures += 1
                if self.leading.is_set():
                    log.warning("%s: lost the database; stepping down", self.name)
                self.leading.clear()
            finally:
                self.leading.clear()
                if connection is not None:
                    connection.terminate()  # releases the lock with the session
            await asyncio.sleep(min(5.0, 0.5 * failures))

    async def _ask(self, connection: asyncpg.Connection, query: str, *args: object) -> bool:
        async with asyncio.timeout(5):
            return bool(await connection.fetchval(query, *args))
