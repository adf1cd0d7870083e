"""Emptying SQLite's write-ahead log, so text deleted or overwritten leaves every file.

In WAL mode a change is written to `<db>-wal` and copied into the database file only at a
checkpoint; the log is then written over from its start but keeps its length and every page it
held. A message whose text the inbox erased after its turn, a conversation deleted by "forget
me" or by the purge: each stays readable in the log until it is overwritten, and the automatic
checkpoint runs only every 10,000 pages (`database.py`). A TRUNCATE checkpoint copies the log's
last version of each page into the database file and cuts the log to zero bytes; with
`secure_delete` (also `database.py`) the space a deleted row or text held in that file is zeros.
So the service runs one after every purge and every `every` seconds; then no text older than
that is readable in any file of the database.

The checkpoint runs on the connection every database call of this process queues for, on the
event loop's thread (`sqlite_inline`): it takes what copying the pages written since the last one
takes (figures: bench/README.md). Another process's reader or writer (a `python -m bot purge`
beside `serve`) can keep it from finishing: it then fails nothing, waits for nothing and is
tried again next time. PostgreSQL keeps no such file of ours: nothing is done there (PRIVACY.md
says what its own WAL and dead rows keep)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.storage.dialects import dialect_of

log = logging.getLogger(__name__)

TRUNCATE = text("PRAGMA wal_checkpoint(TRUNCATE)")


async def checkpoint(sessions: async_sessionmaker[Any]) -> bool:
    """Copy the log into the database file and empty it. True when done (or not SQLite); False
    when another connection kept it from finishing (try again later)."""
    async with sessions() as session:
        if not dialect_of(session).keeps_log_file:
            return True
        # no transaction: sqlite3 begins one only before a data change, never before a PRAGMA,
        # and a busy log is an answer (busy=1), not an error, so nothing waits for a lock
        busy, _pages, _copied = (await session.execute(TRUNCATE)).one()
    return not busy


async def checkpoint_periodically(sessions: async_sessionmaker[Any], every: float) -> None:
    """For `serve` on SQLite: a checkpoint every `every` seconds until cancelled. One that cannot
    finish or fails is logged and tried again next time; it never stops the service."""
    while True:
        await asyncio.sleep(every)
        try:
            if not await checkpoint(sessions):
                log.debug("sqlite: the log is in use elsewhere; checkpoint retried later")
        except Exception:
            log.warning("sqlite: checkpoint failed; retried later", exc_info=True)
