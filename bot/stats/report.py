"""The monthly report's numbers: counters of one month summed along one dimension at a time.

Only one-dimensional totals leave the database (topics, languages, channels, sources, days...):
the report never shows a combination of dimensions, which keeps every figure coarse. Suppression of
small counts happens where figures are written out (bot.stats.render), the same for every format.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.stats.counters import RESPONSE_BUCKETS, month_of
from bot.stats.labels import QUESTION_ORDER
from bot.stats.tables import (
    ContactCount,
    EscalationCount,
    OutcomeCount,
    ResponseTimeCount,
    SurveyCount,
    TopicCount,
)

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Item:
    key: str
    count: int


@dataclass
class MonthReport:
    month: str
    first: dt.date
    last: dt.date
    contacts: int = 0
    """Conversation-days: each conversation counts once on each day it wrote (like calls)."""
    started: int = 0
    topics: list[Item] = field(default_factory=list)
    languages: list[Item] = field(default_factory=list)
    channels: list[Item] = field(default_factory=list)
    sources: list[Item] = field(default_factory=list)
    daily: list[Item] = field(default_factory=list)
    """Contacts per day, every day of the month (key YYYY-MM-DD), zeros included."""
    escalations: list[Item] = field(default_factory=list)
    urgent: int = 0
    outcomes: list[Item] = field(default_factory=list)
    response_times: list[Item] = field(default_factory=list)
    """Every bucket in order, zeros included (empty list: no data at all)."""
    survey: dict[str, list[Item]] = field(default_factory=dict)

    @property
    def topic_total(self) -> int:
        return sum(i.count for i in self.topics)

    @property
    def escalation_total(self) -> int:
        return sum(i.count for i in self.escalations)

    @property
    def is_empty(self) -> bool:
        return not (self.contacts or self.topics or self.escalations or self.survey)


def parse_month(text: str) -> tuple[dt.date, dt.date]:
    """'2026-11' -> (first day, first day of the next month); ValueError when malformed."""
    m = _MONTH.match(text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"month must look like 2026-11, not {text!r}")
    first = dt.date(int(m.group(1)), int(m.group(2)), 1)
    return first, next_month(first)


def next_month(first: dt.date) -> dt.date:
    return dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)


def current_month(now: dt.datetime, timezone: str) -> str:
    return month_of(now.astimezone(ZoneInfo(timezone)).date())


async def _sums(
    session: AsyncSession, key: Any, measure: Any, *where: ColumnElement[bool]
) -> list[Item]:
    """sum(measure) grouped by key, largest first (ties by key, so the order is stable)."""
    rows = await session.execute(select(key, func.sum(measure)).where(*where).group_by(key))
    items = [Item(str(k), int(n or 0)) for k, n in rows if n]
    return sorted(items, key=lambda i: (-i.count, i.key))


async def collect(session: AsyncSession, month: str) -> MonthReport:
    first, after = parse_month(month)
    last = after - dt.timedelta(days=1)
    report = MonthReport(month, first, last)

    def during(day: Any) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
        return day >= first, day < after

    c = ContactCount
    totals = (
        await session.execute(select(func.sum(c.active), func.sum(c.started)).where(*during(c.day)))
    ).one()
    report.contacts, report.started = int(totals[0] or 0), int(totals[1] or 0)
    report.languages = await _sums(session, c.lang, c.active, *during(c.day))
    report.channels = await _sums(session, c.channel, c.active, *during(c.day))
    report.sources = await _sums(session, c.source, c.active, *during(c.day))
    per_day = {i.key: i.count for i in await _sums(session, c.day, c.active, *during(c.day))}
    report.daily = [
        Item(day.isoformat(), per_day.get(day.isoformat(), 0))
        for day in (first + dt.timedelta(days=n) for n in range((after - first).days))
    ]

    t = TopicCount
    report.topics = await _sums(session, t.topic, t.count, *during(t.day))

    e = EscalationCount
    report.escalations = await _sums(session, e.reason, e.count, *during(e.day))
    urgent = await session.execute(
        select(func.sum(e.count)).where(*during(e.day), e.urgent.is_(True))
    )
    report.urgent = int(urgent.scalar() or 0)

    o = OutcomeCount
    report.outcomes = await _sums(session, o.outcome, o.count, *during(o.day))

    r = ResponseTimeCount
    buckets = {i.key: i.count for i in await _sums(session, r.bucket, r.count, *during(r.day))}
    if buckets:
        report.response_times = [Item(name, buckets.get(name, 0)) for _, name in RESPONSE_BUCKETS]

    s = SurveyCount
    rows = await session.execute(
        select(s.question, s.answer, s.count).where(s.month == month).order_by(s.question)
    )
    survey: dict[str, list[Item]] = {}
    for question, answer, count in rows:
        survey.setdefault(question, []).append(Item(answer, int(count)))
    order = {q: n for n, q in enumerate(QUESTION_ORDER)}
    report.survey = {
        q: sorted(survey[q], key=lambda i: (-i.count, i.key))
        for q in sorted(survey, key=lambda q: (order.get(q, len(order)), q))
    }
    return report
