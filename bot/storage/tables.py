"""Database tables. Conversations are keyed by a pseudonym (keyed HMAC), never a raw user id."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

BIG_ID = BigInteger().with_variant(Integer(), "sqlite")
"""The type of a row id drawn from a sequence: BIGINT, but INTEGER on SQLite, where only an
INTEGER PRIMARY KEY is the rowid that numbers itself."""


class Base(DeclarativeBase):
    pass


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Conversation(Base):
    """One user on one channel: the engine state and when it was last touched (for expiry)."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    lang: Mapped[str | None] = mapped_column(String(8))
    state: Mapped[dict[str, object]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    address: Mapped[str | None] = mapped_column(Text)
    """Where replies go (chat id, phone number), sealed with BOT_SECRET_KEY: never in clear."""
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    """The user blocked the bot or opted out: nothing is sent until they write again."""
