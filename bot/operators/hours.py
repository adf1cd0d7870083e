"""Hotline hours: whether operators are at work now, and when they are back.

A weekly schedule (weekdays, opening and closing time), holidays and a timezone come from
settings. "Back" is the next opening on a working day that is not a holiday, as the user reads it
in their language (Babel).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, get_timezone_location

from bot import DEFAULT_LANGUAGE
from bot.engine.texts import LOCALES
from bot.settings import HotlineSettings

SEARCH_DAYS = 400
"""A schedule with no working day in a year of holidays is treated as always closed."""
BACK_PATTERNS: Mapping[str, str] = {
    "ru": "EEEE, d MMMM, HH:mm",
    "uz": "EEEE, d-MMMM, HH:mm",
    "tg": "EEEE, d MMMM, HH:mm",
}


class Hours:
    def __init__(self, hotline: HotlineSettings) -> None:
        self.zone = ZoneInfo(hotline.timezone)
        self.days = frozenset(hotline.days)
        self.opens = dt.time.fromisoformat(hotline.opens)
        # "24:00" closes at midnight: a round-the-clock line is 00:00-24:00.
        self.closes = (
            dt.time.max if hotline.closes == "24:00" else dt.time.fromisoformat(hotline.closes)
        )
        self.holidays = frozenset(dt.date.fromisoformat(day) for day in hotline.holidays)

    def _working(self, day: dt.date) -> bool:
        return day.weekday() in self.days and day not in self.holidays

    def is_open(self, now: dt.datetime) -> bool:
        local = now.astimezone(self.zone)
        return self._working(local.date()) and self.opens <= local.time() < self.closes

    def next_opening(self, now: dt.datetime) -> dt.datetime | None:
        """The next moment operators start work (local time of the hotline); None if never."""
        local = now.astimezone(self.zone)
        for offset in range(SEARCH_DAYS):
            day = local.date() + dt.timedelta(days=offset)
            if not self._working(day):
                continue
            opening = dt.datetime.combine(day, self.opens, tzinfo=self.zone)
            if opening > local:
                return opening
        return None

    def format_back(self, when: dt.datetime, lang: str) -> str:
        """'вторник, 24 ноября, 08:30 (Москва)' in the user's language."""
        locale = LOCALES.get(lang, LOCALES[DEFAULT_LANGUAGE])
        pattern = BACK_PATTERNS.get(lang, BACK_PATTERNS[DEFAULT_LANGUAGE])
        city = get_timezone_location(self.zone, locale=locale, return_city=True)
        return f"{format_datetime(when, pattern, tzinfo=self.zone, locale=locale)} ({city})"
