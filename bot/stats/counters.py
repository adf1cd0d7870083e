"""Counting what conversations do, as anonymous counters, inside each message's transaction.

`StatsSink` is an EventSink (bot.conversation): after the engine has run, it turns the events of
one message into counter increments. "Once per conversation, topic and day" is remembered in the
conversation's own state (`state.marks`, which expires and is deleted with the conversation), never
in the statistics tables, which hold counts only.

The questionnaire's monthly rhythm is the engine's (it is told the month); the sink counts offers,
and answers only after a "yes".

The operator desk calls `count_outcome` and `count_response_time`.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, MutableMapping, Sequence
from itertools import groupby
from types import MappingProxyType
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation import Batch, Context
from bot.delivery.campaigns import Campaigns, refused
from bot.engine.messages import (
    Event,
    OperatorRequested,
    OptedOut,
    SurveyAnswered,
    SurveyOffered,
    TopicReached,
)
from bot.settings import StatsSettings
from bot.stats.dimensions import clean_id
from bot.stats.tables import (
    ContactCount,
    DeliveryCount,
    EscalationCount,
    OutcomeCount,
    ResponseTimeCount,
    SurveyCount,
    TopicCount,
)
from bot.storage.dialects import dialect_of
from bot.storage.many_rows import ManyRows
from bot.storage.tables import Base

# Marks kept in the conversation state. Values are the day (YYYY-MM-DD) or month (YYYY-MM) they
# were set; stale ones are dropped so the state stays small.
SURVEY_ACCEPTED = "survey_accepted"
SEEN = "stats:seen"
ACTIVE_DAY = "stats:day"
DAILY_PREFIXES = ("counted:", "escalated:", "outcome:")
MONTHLY_PREFIXES = ("surveyed:", SURVEY_ACCEPTED)

OPTED_OUT = "opted_out"
"""The delivery counters' status for a person who asked for no more SMS (STOP)."""
OFFER_QUESTION = "offer"
"""Survey counters of the offer itself: offered, accepted, declined."""

RESPONSE_BUCKETS: tuple[tuple[float, str], ...] = (
    (60, "under_1m"),
    (5 * 60, "1_5m"),
    (15 * 60, "5_15m"),
    (60 * 60, "15_60m"),
    (4 * 3600, "1_4h"),
    (24 * 3600, "4_24h"),
    (float("inf"), "over_24h"),
)
"""Upper bounds (seconds, exclusive) of the response-time buckets, in report order."""


def local_day(now: dt.datetime, zone: ZoneInfo) -> dt.date:
    return now.astimezone(zone).date()


def month_of(day: dt.date) -> str:
    return f"{day:%Y-%m}"


@functools.lru_cache(maxsize=16)
def periods(now: dt.datetime, zone: ZoneInfo) -> tuple[dt.date, str, str]:
    """The local day of `now`, and that day and its month as the marks write them. A batch of
    turns shares one `now`: worked out once for all of them."""
    day = local_day(now, zone)
    return day, day.isoformat(), month_of(day)


def response_bucket(seconds: float) -> str:
    for bound, name in RESPONSE_BUCKETS:
        if seconds < bound:
            return name
    return RESPONSE_BUCKETS[-1][1]


async def bump(
    session: AsyncSession,
    model: type[Base],
    keys: Mapping[str, Any],
    counts: Mapping[str, int],
) -> None:
    """Add `counts` to the row of `model` identified by `keys`, creating it when missing: one
    atomic statement (concurrent messages never lose an increment)."""
    table = cast(Table, model.__table__)
    stmt = dialect_of(session).insert(table).values({**keys, **counts})
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=list(keys),
            set_={name: table.c[name] + stmt.excluded[name] for name in counts},
        )
    )


def _shape(
    keys: tuple[tuple[str, Any], ...], counts: Mapping[str, int]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(name for name, _ in keys), tuple(sorted(counts))


async def _upsert_many(
    session: AsyncSession,
    model: type[Base],
    key_names: Sequence[str],
    count_names: Sequence[str],
    rows: list[dict[str, Any]],
) -> None:
    """`bump` for many rows of one shape at once."""
    await _bumps(model, tuple(key_names), tuple(count_names)).execute(session, rows)


@functools.cache
def _bumps(model: type[Base], key_names: tuple[str, ...], count_names: tuple[str, ...]) -> ManyRows:
    """The statement adding counts to counter rows of one shape (see `bot/storage/many_rows.py`)."""
    table = cast(Table, model.__table__)

    def add(insert: Any) -> Any:
        return insert.on_conflict_do_update(
            index_elements=list(key_names),
            set_={name: table.c[name] + insert.excluded[name] for name in count_names},
        )

    return ManyRows(table, (*key_names, *count_names), add)


class Tally:
    """Increments of a batch of turns, summed per counter row and written once each before the
    batch commits, in a fixed order (two processes' batches never wait on each other in a
    cycle)."""

    def __init__(self) -> None:
        self._sums: dict[tuple[type[Base], tuple[tuple[str, Any], ...]], dict[str, int]] = {}

    def add(self, model: type[Base], keys: Mapping[str, Any], counts: Mapping[str, int]) -> None:
        sums = self._sums.setdefault((model, tuple(sorted(keys.items()))), {})
        for name, n in counts.items():
            sums[name] = sums.get(name, 0) + n

    async def flush(self, session: AsyncSession) -> None:
        def order(row: tuple[type[Base], tuple[tuple[str, Any], ...]]) -> tuple[str, str]:
            return str(row[0].__tablename__), repr(row[1])

        rows = sorted(self._sums, key=order)
        sums, self._sums = self._sums, {}
        # rows of one shape (table, key and count columns) go as one statement with many
        # parameter sets, still in the fixed order
        shapes = groupby(rows, key=lambda row: (row[0], *_shape(row[1], sums[row])))
        for (model, key_names, count_names), group in shapes:
            await _upsert_many(
                session,
                model,
                key_names,
                count_names,
                [{**dict(keys), **sums[(model, keys)]} for _, keys in group],
            )


log = logging.getLogger(__name__)

ONE: Mapping[str, int] = MappingProxyType({"count": 1})
"""The increment of a counter with one `count` column."""


def survey_keys(month: str, question: str, answer: str) -> dict[str, str]:
    return {"month": month, "question": question, "answer": answer}


def _once(marks: MutableMapping[str, str], key: str, period: str) -> bool:
    """True the first time `key` is seen in `period` (a day or a month), remembering it."""
    if marks.get(key) == period:
        return False
    marks[key] = period
    return True


def _drop_stale(marks: MutableMapping[str, str], day: str, month: str) -> None:
    for key in list(marks):
        period = day if key.startswith(DAILY_PREFIXES) else month
        if key.startswith(DAILY_PREFIXES + MONTHLY_PREFIXES) and marks[key] != period:
            del marks[key]


class StatsSink:
    """The EventSink that counts. Without arguments it counts with the default settings."""

    def __init__(self, config: StatsSettings | None = None) -> None:
        self.config = config or StatsSettings()
        self.zone = ZoneInfo(self.config.timezone)
        self.campaigns = Campaigns.configured(self.config)
        configured = [*self.config.campaign_sources, *self.config.sms_keywords.values()]
        for code in refused(configured):
            log.warning(
                "campaign code %r (CAMPAIGN_SOURCES or SMS_SOURCE_KEYWORDS) is left out: a code"
                " is lower-case letters, digits, '_' or '-', starts with a letter and has no run"
                " of 5 digits",
                code,
            )

    async def prepare(
        self, session: AsyncSession, batch: Batch, conversation_ids: Collection[str]
    ) -> None:
        """Before a batch of turns: their increments are summed and written once at the end."""
        tally = Tally()
        batch.parts[self] = tally
        batch.on_finish(tally.flush)

    async def record(self, session: AsyncSession, ctx: Context, events: Sequence[Event]) -> None:
        tally: Tally | None = ctx.batch.parts.get(self) if ctx.batch is not None else None

        async def count(
            model: type[Base], keys: Mapping[str, Any], counts: Mapping[str, int]
        ) -> None:
            if tally is not None:
                tally.add(model, keys, counts)
            else:
                await bump(session, model, keys, counts)

        st = ctx.state
        marks = st.marks
        day, today, month = periods(ctx.now, self.zone)
        _drop_stale(marks, today, month)
        lang = clean_id(st.lang)
        channel = clean_id(ctx.channel)
        source = self.campaigns.code(st.source)  # again: states stored before a list changed
        base = {"day": day, "lang": lang, "channel": channel}
        # Volume is counted once the language is known: before that nothing has been asked.
        if st.lang is not None and _once(marks, ACTIVE_DAY, today):
            started = 0 if marks.get(SEEN) else 1
            marks[SEEN] = "yes"
            await count(ContactCount, {**base, "source": source}, {"active": 1, "started": started})
        for event in events:
            if isinstance(event, TopicReached):
                topic = clean_id(event.topic)
                if _once(marks, f"counted:{topic}", today):
                    keys = {**base, "topic": topic, "source": source}
                    await count(TopicCount, keys, ONE)
            elif isinstance(event, OperatorRequested):
                reason = clean_id(event.reason)
                if _once(marks, f"escalated:{reason}:{int(event.urgent)}", today):
                    keys = {**base, "urgent": event.urgent, "reason": reason}
                    await count(EscalationCount, keys, ONE)
            elif isinstance(event, OptedOut):
                keys = {"day": day, "channel": channel, "status": OPTED_OUT}
                await count(DeliveryCount, keys, ONE)
            elif isinstance(event, SurveyOffered):
                await count(SurveyCount, survey_keys(month, OFFER_QUESTION, "offered"), ONE)
            elif isinstance(event, SurveyAnswered):
                await self._answer(count, marks, month, event)

    async def _answer(
        self,
        count: Callable[[type[Base], Mapping[str, Any], Mapping[str, int]], Awaitable[None]],
        marks: MutableMapping[str, str],
        month: str,
        event: SurveyAnswered,
    ) -> None:
        question, answer = clean_id(event.question), clean_id(event.answer)
        if question == OFFER_QUESTION:
            if answer == "accepted":  # consent: the questions that follow may be counted
                marks[SURVEY_ACCEPTED] = month
            if _once(marks, f"surveyed:{question}", month):  # going back to the offer: once
                await count(SurveyCount, survey_keys(month, question, answer), ONE)
        # Questions count only after a "yes" this month, and once each (going back and answering
        # again, or pressing an old button, changes nothing).
        elif marks.get(SURVEY_ACCEPTED) == month and _once(marks, f"surveyed:{question}", month):
            await count(SurveyCount, survey_keys(month, question, answer), ONE)

    # --- for the operator console -------------------------------------------------------------
    async def count_outcome(self, session: AsyncSession, ctx: Context, outcome: str) -> bool:
        """Count how an operator closed a conversation, once per conversation, outcome and day.
        Returns False when it was already counted today."""
        day = local_day(ctx.now, self.zone)
        outcome = clean_id(outcome)
        if not _once(ctx.state.marks, f"outcome:{outcome}", day.isoformat()):
            return False
        keys = {
            "day": day,
            "lang": clean_id(ctx.state.lang),
            "channel": clean_id(ctx.channel),
            "outcome": outcome,
        }
        await bump(session, OutcomeCount, keys, ONE)
        return True

    async def count_response_time(
        self,
        session: AsyncSession,
        *,
        now: dt.datetime,
        channel: str,
        urgent: bool,
        seconds: float,
    ) -> str:
        """Count an operator's first response after a handover by its bucket; returns the bucket.
        Only the bucket is stored, on the day of the response."""
        bucket = response_bucket(seconds)
        keys = {
            "day": local_day(now, self.zone),
            "channel": clean_id(channel),
            "urgent": urgent,
            "bucket": bucket,
        }
        await bump(session, ResponseTimeCount, keys, ONE)
        return bucket
