"""Fixtures for the statistics tests: a small content root with two topics and the shipped
questionnaire, an app with the StatsSink on a clock the test moves, and counter readers."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.engine.engine import Result
from bot.engine.messages import Incoming
from bot.service.core import Core as App
from bot.service.core import open_core as open_app
from bot.settings import StatsSettings
from bot.stats.counters import StatsSink
from bot.stats.tables import STAT_TABLES
from tests.conftest import MINI, ROOT, make_settings
from tests.talking import greet, say

# 2026-11-23 12:00 in Moscow: the same day in UTC and in the hotline's time zone.
NOON = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
CONFIG = StatsSettings(timezone="Europe/Moscow")

MENU = """topic: general
start: main
nodes:
  main:
    say: common.menu.title
    options:
      - {label: common.topic.registration, next: registration}
      - {label: common.topic.work_permit, next: work_permit}
"""
WORK_PERMIT = """topic: work_permit
start: about
nodes:
  about:
    say: work_permit.about
    answer: true
    options:
      - {label: work_permit.opt_fine, next: fine}
  fine:
    say: work_permit.fine
    answer: true
"""


def _work_permit_texts(lang: str) -> str:
    answer = "{{text: {} {}, source: 'https://example.org/patent', reviewed: 2026-11-01}}"
    return (
        f"about: {answer.format('ABOUT', lang)}\n"
        f"fine: {answer.format('FINE', lang)}\n"
        f"opt_fine: OPT_FINE_{lang}\n"
    )


@pytest.fixture(scope="session")
def stats_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tests' mini content, plus a second topic and the shipped questionnaire (so the real
    survey flow and its three translations are what these tests run)."""
    root = tmp_path_factory.mktemp("stats_root")
    shutil.copytree(MINI, root, dirs_exist_ok=True)
    (root / "flows" / "menu.yaml").write_text(MENU, encoding="utf-8")
    (root / "flows" / "work_permit.yaml").write_text(WORK_PERMIT, encoding="utf-8")
    shutil.copy(ROOT / "flows" / "survey.yaml", root / "flows" / "survey.yaml")
    for lang in ("ru", "uz", "tg"):
        content = root / "content" / lang
        (content / "work_permit.yaml").write_text(_work_permit_texts(lang), encoding="utf-8")
        shutil.copy(ROOT / "content" / lang / "survey.yaml", content / "survey.yaml")
    return root


@dataclass
class Clock:
    now: dt.datetime = NOON

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Harness:
    """An app with statistics, its clock and a short way to talk."""

    app: App
    clock: Clock
    sink: StatsSink

    async def say(self, user: str, text: str, *, channel: str = "terminal") -> Result:
        return await say(self.app, channel, user, Incoming(text=text))

    async def start(
        self, user: str, lang: str = "ru", *, channel: str = "terminal", source: str | None = None
    ) -> Result:
        """A first contact as a channel adapter will make it: language and campaign known."""
        return await greet(self.app, channel, user, lang=lang, source=source)

    async def rows(self, model: type[Any]) -> set[tuple[Any, ...]]:
        """Every row of a statistics table as a tuple of its columns, in column order."""
        table = model.__table__
        async with self.app.service.sessions() as session:
            result = await session.execute(select(table))
            return {tuple(row) for row in result}


@pytest.fixture
async def h(tmp_path: Path, database_url: str, stats_root: Path) -> AsyncIterator[Harness]:
    settings = make_settings(tmp_path, database_url, CONTENT_ROOT=str(stats_root))
    sink = StatsSink(CONFIG)
    app = await open_app(settings, sinks=[sink])
    clock = Clock()
    app.service.clock = clock
    try:
        yield Harness(app, clock, sink)
    finally:
        await app.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


__all__ = ["CONFIG", "NOON", "STAT_TABLES", "Clock", "Harness"]
