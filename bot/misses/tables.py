"""The one table of the misses log.

A row is a scrubbed text with the day (in the hotline's time zone), the conversation's language,
what the bot did with it and how many times it was written that day. It has no column that could
lead back to a conversation: no pseudonym, no channel or address, no row id, no time finer than a
day (on SQLite the table has no hidden rowid either, so not even the order of writing is kept).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.misses.scrub import MAX_LENGTH
from bot.storage.tables import Base

NOT_UNDERSTOOD = "not_understood"
"""The bot matched no topic and said so."""
UNSURE = "unsure"
"""The bot matched no topic for sure and offered the best few."""
UNKNOWN_LANG = "und"
"""The language of a conversation that has not chosen one yet."""


class MissedMessage(Base):
    __tablename__ = "missed_messages"
    __table_args__ = ({"sqlite_with_rowid": False},)

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    text: Mapped[str] = mapped_column(String(MAX_LENGTH), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
