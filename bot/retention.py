"""Applying every retention rule of PRIVACY.md: `python -m bot purge`, and periodically in `serve`.

- Conversations idle for longer than CONVERSATION_TTL_DAYS are deleted (with their state, marks,
  sealed reply address and any free text they held).
- Processed updates are remembered (platform id and time only) for two days to recognise
  redeliveries, then deleted; replies that could not be delivered go after CONVERSATION_TTL_DAYS.
- Handovers to an operator and their transcripts are deleted TRANSCRIPT_RETENTION_DAYS (default
  30) after closing, and at once when their conversation is gone; expired operator logins and
  login failures older than a day are deleted.
- Messages the bot did not understand (scrubbed, for editors) are deleted 30 days after their day.
- Statistics counters are deleted after STATS_RETENTION_MONTHS (default 36) whole months: they
  identify nobody, but what is not needed any more is not kept.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import outbox
from bot.delivery.inbox import purge_done
from bot.misses import store as misses
from bot.operators import accounts, queue
from bot.settings import Settings
from bot.stats.retention import purge_counters
from bot.storage.checkpoint import checkpoint
from bot.storage.conversations import purge_expired

log = logging.getLogger(__name__)


async def purge(session: AsyncSession, now: dt.datetime, settings: Settings) -> dict[str, int]:
    """Delete everything past its retention, inside the caller's transaction; rows per table.
    Each part of the bot deletes its own rows; this is the one list of them all."""
    ttl = dt.timedelta(days=settings.conversation_ttl_days)
    deleted = {"conversations": await purge_expired(session, now=now, ttl=ttl)}
    deleted["inbox"] = await purge_done(session, now)
    deleted["outbox"] = await outbox.purge_old(session, now, ttl)
    retention = dt.timedelta(days=settings.operators.transcript_retention_days)
    deleted["handovers"] = await queue.purge(session, now, retention)
    deleted["operator_sessions"] = await accounts.purge(session, now)
    deleted["missed_messages"] = await misses.purge_old(session, now, settings)
    deleted.update(await purge_counters(session, now, settings.stats))
    return deleted


async def purge_now(
    sessions: async_sessionmaker[Any],
    settings: Settings,
    *,
    now: dt.datetime | None = None,
) -> dict[str, int]:
    """One purge in its own transaction; then, on SQLite, the log emptied so what it deleted
    leaves the files too (see `bot/storage/checkpoint.py`)."""
    async with sessions() as session, session.begin():
        deleted = await purge(session, now or dt.datetime.now(dt.UTC), settings)
    try:
        if not await checkpoint(sessions):
            log.info("purge: the SQLite log is in use elsewhere; the next checkpoint empties it")
    except Exception:
        log.warning("purge: checkpoint failed; the next one empties the log", exc_info=True)
    return deleted


async def purge_periodically(
    sessions: async_sessionmaker[Any],
    settings: Settings,
    *,
    every: dt.timedelta = dt.timedelta(hours=1),
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> None:
    """For `serve`: purge at start and then every `every`, until cancelled. A failed purge is
    logged and retried next time rather than stopping the bot."""
    while True:
        try:
            deleted = await purge_now(sessions, settings, now=clock())
            if any(deleted.values()):
                log.info("purged %s", {k: v for k, v in deleted.items() if v})
        except Exception:
            log.exception("purge failed; will retry")
        await asyncio.sleep(every.total_seconds())
