"""How long the anonymous counters are kept: STATS_RETENTION_MONTHS whole months. They identify
nobody, but what is not needed any more is not kept (PRIVACY.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import StatsSettings
from bot.stats.counters import month_of
from bot.stats.tables import DAILY_TABLES, SurveyCount


def stats_cutoff(now: dt.datetime, settings: StatsSettings) -> dt.date:
    """The first day still kept: the start of the month `retention_months` before this one, so
    a month's counters go all at once and a report is never of half a month."""
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    index = today.year * 12 + today.month - 1 - settings.retention_months
    return dt.date(index // 12, index % 12 + 1, 1)


async def purge_counters(
    session: AsyncSession, now: dt.datetime, settings: StatsSettings
) -> dict[str, int]:
    """Delete the counters of the months past retention, in the caller's transaction; rows
    per table."""
    cutoff = stats_cutoff(now, settings)
    deleted: dict[str, int] = {}
    for model in DAILY_TABLES:
        table: Any = model.__table__
        result = await session.execute(delete(table).where(table.c.day < cutoff))
        deleted[table.name] = int(getattr(result, "rowcount", 0) or 0)
    result = await session.execute(delete(SurveyCount).where(SurveyCount.month < month_of(cutoff)))
    deleted[SurveyCount.__tablename__] = int(getattr(result, "rowcount", 0) or 0)
    return deleted
