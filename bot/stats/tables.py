"""Statistics tables: counters only.

Every table is keyed by coarse, non-identifying dimensions (a day or a month, a topic, a language,
a channel, a campaign code) and holds a number. None has a column that could be joined back to a
conversation or a person: no pseudonym, no chat, no phone, no row id. The composite primary key is
the set of dimensions itself, so each combination is one row whose count goes up.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.tables import Base

# Lengths are short on purpose: the values are ids from flows, settings or a fixed list.
ID_LEN = 32


class TopicCount(Base):
    """Conversations that reached an answer of a topic, once per conversation, topic and day."""

    __tablename__ = "stat_topic_counts"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    topic: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    source: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class ContactCount(Base):
    """Daily volume: `active` counts conversations that wrote that day (once each), `started`
    those that wrote for the first time (or again after their state expired or was deleted)."""

    __tablename__ = "stat_daily_contacts"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    source: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    active: Mapped[int] = mapped_column(Integer, default=0)
    started: Mapped[int] = mapped_column(Integer, default=0)


class EscalationCount(Base):
    """Requests for a human operator, once per conversation, day, urgency and reason."""

    __tablename__ = "stat_escalation_counts"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    urgent: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    reason: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class OutcomeCount(Base):
    """How operators closed handed-over conversations (filled in by the operator console)."""

    __tablename__ = "stat_outcome_counts"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class ResponseTimeCount(Base):
    """Operator first-response times as buckets per day (no single time is kept)."""

    __tablename__ = "stat_response_times"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    urgent: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class SurveyCount(Base):
    """Questionnaire answers: one counter per month, question and answer. Questions are counted
    separately so no combination of one person's answers is ever stored."""

    __tablename__ = "stat_survey_counts"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    """YYYY-MM."""
    question: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    answer: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class DeliveryCount(Base):
    """Platform delivery reports (Twilio status callbacks): how many messages were delivered or
    failed, per day and channel. No message, number or id."""

    __tablename__ = "stat_delivery_counts"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


DAILY_TABLES: tuple[type[Base], ...] = (
    TopicCount,
    ContactCount,
    EscalationCount,
    OutcomeCount,
    ResponseTimeCount,
    DeliveryCount,
)
"""Tables with a `day` column (retention is by day)."""

STAT_TABLES: tuple[type[Base], ...] = (*DAILY_TABLES, SurveyCount)
