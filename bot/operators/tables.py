"""Tables of the operator side (migration 0005; display names 0011).

A handover is one request for a human, from the moment the bot hands over until an operator
closes it (or the user goes back to the menu). Its transcript holds what was said since then,
sealed with the app key, and is deleted a configurable time after closing. Operators see a
conversation only as its short tag, never an address.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.tables import BIG_ID, Base

QUEUED = "queued"
TAKEN = "taken"
CLOSED = "closed"

USER = "user"
OPERATOR = "operator"
EVENT = "event"
"""Transcript line kinds: what the user wrote, what an operator wrote, and what happened (an
event code such as 'taken', shown in the operator's language by the console)."""


class Operator(Base):
    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    langs: Mapped[str] = mapped_column(String(32))
    """Comma-separated language codes this operator answers in."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    display_name: Mapped[str | None] = mapped_column(String(40), default=None)
    """The name users see beside this operator's messages, if the operator chose one (migration
    0011); never the login."""

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(code for code in self.langs.split(",") if code)


class OperatorSession(Base):
    """A console login. Only a hash of the cookie's token is stored."""

    __tablename__ = "operator_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("operators.id", ondelete="CASCADE"), index=True
    )
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class LoginFailure(Base):
    """A failed login, by a hash of the name or of the client address: throttling only."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Handover(Base):
    __tablename__ = "handovers"
    __table_args__ = (
        # At most one open handover per conversation, even when two messages race.
        Index(
            "uq_handovers_open",
            "conversation_id",
            unique=True,
            sqlite_where=text("status != 'closed'"),
            postgresql_where=text("status != 'closed'"),
        ),
        Index("ix_handovers_status_lang", "status", "lang"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    lang: Mapped[str] = mapped_column(String(8))
    tag: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8), default=QUEUED)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(16))
    operator_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("operators.id", ondelete="SET NULL")
    )
    context: Mapped[dict[str, Any]] = mapped_column(JSON)
    """What the bot knew at handover: topics visited and answer keys shown (no user text)."""
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    """When the request entered the queue (again): the queue's order after urgency."""
    taken_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    """An operator's first reply (counted as the response time, once)."""
    waiting_since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    """The user's oldest message an operator has not answered yet."""
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    outcome: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class HandoverLine(Base):
    __tablename__ = "handover_lines"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    handover_id: Mapped[int] = mapped_column(
        BIG_ID, ForeignKey("handovers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    operator_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("operators.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text)
    """Sealed text (user, operator) or an event code (event)."""
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
