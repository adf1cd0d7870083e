"""Reading the misses log for editors, and deleting it after RETENTION."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.misses.tables import UNSURE, MissedMessage
from bot.settings import Settings

RETENTION = dt.timedelta(days=30)
"""A day's texts are deleted this long after that day: enough for an editor's monthly pass."""


@dataclass(frozen=True)
class Miss:
    """One scrubbed text with how often it was written in the period, in total and as `unsure`
    (the bot offered the best few topics rather than saying it did not understand)."""

    lang: str
    text: str
    count: int
    unsure: int


async def read(session: AsyncSession, since: dt.date, lang: str | None = None) -> list[Miss]:
    """Texts written on `since` or later (in `lang` only when given), counts summed over days."""
    table = MissedMessage
    unsure = func.sum(table.count).filter(table.kind == UNSURE)
    query = (
        select(table.lang, table.text, func.sum(table.count), unsure)
        .where(table.day >= since)
        .group_by(table.lang, table.text)
    )
    if lang is not None:
        query = query.where(table.lang == lang)
    rows = await session.execute(query)
    return [Miss(lang, text, int(n), int(u or 0)) for lang, text, n, u in rows]


async def purge_old(session: AsyncSession, now: dt.datetime, settings: Settings) -> int:
    """Delete the texts of days RETENTION or more before today (the hotline's day); rows."""
    today = now.astimezone(ZoneInfo(settings.hotline.timezone)).date()
    result = await session.execute(
        delete(MissedMessage).where(MissedMessage.day <= today - RETENTION)
    )
    return int(getattr(result, "rowcount", 0) or 0)
