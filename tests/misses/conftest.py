"""Fixtures for the misses log: an app whose only sink is the misses log, on a fixed clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.engine.messages import Incoming
from bot.misses.sink import misses_sinks
from bot.misses.tables import MissedMessage
from bot.service.core import Core as App
from bot.service.core import open_core as open_app
from tests import talking
from tests.conftest import make_settings

NOON = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
"""12:00 in Moscow, the same day there and in UTC."""


@dataclass
class Log:
    app: App

    async def say(self, user: str, text: str, *, lang: str = "ru") -> None:
        """A conversation in `lang` (a first contact), then `text` typed."""
        await talking.greet(self.app, "terminal", user, lang=lang)
        await talking.say(self.app, "terminal", user, Incoming(text=text))

    async def rows(self) -> list[tuple[dt.date, str, str, str, int]]:
        async with self.app.service.sessions() as session:
            t = MissedMessage
            result = await session.execute(
                select(t.day, t.lang, t.kind, t.text, t.count).order_by(t.lang, t.text)
            )
            return [tuple(row) for row in result]


@pytest.fixture
async def log(tmp_path: Path, database_url: str) -> AsyncIterator[Log]:
    settings = make_settings(tmp_path, database_url)
    app = await open_app(settings, sinks=misses_sinks(settings))
    app.service.clock = lambda: NOON
    try:
        yield Log(app)
    finally:
        await app.close()
