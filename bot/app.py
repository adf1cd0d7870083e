"""Assembling the bot from settings: content, engine, database and the turn pipeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversation import EventSink
from bot.engine.engine import Engine
from bot.engine.loader import load_or_raise
from bot.engine.matching import Matcher
from bot.engine.model import Bundle
from bot.engine.texts import Texts
from bot.pipeline import Pipeline
from bot.settings import Settings
from bot.stats.config import StatsConfig
from bot.stats.counters import StatsSink
from bot.storage.database import migrate, open_engine, sessions


def build_matcher(bundle: Bundle) -> Matcher:
    """The free-text matcher from the word lists editors keep in content/<lang>/."""
    langs = list(bundle.lexicons)
    return Matcher(
        keywords={lang: bundle.lexicon(lang, "keywords") for lang in langs},
        danger={lang: bundle.lexicon(lang, "danger").get("phrases", []) for lang in langs},
        operator_words={
            lang: bundle.lexicon(lang, "commands").get("operator", []) for lang in langs
        },
        danger_endings={lang: bundle.lexicon(lang, "danger").get("endings", []) for lang in langs},
    )


def build_engine(bundle: Bundle, settings: Settings) -> Engine:
    return Engine(bundle, Texts(bundle, settings.hotline), build_matcher(bundle))


@dataclass
class App:
    settings: Settings
    engine: Engine
    db: AsyncEngine
    service: Pipeline

    async def close(self) -> None:
        await self.db.dispose()


async def open_app(settings: Settings, sinks: Sequence[EventSink] | None = None) -> App:
    """Load content (raising ContentError with every problem), open and migrate the database.
    Events go to the anonymous statistics unless other `sinks` are given."""
    if sinks is None:
        sinks = [StatsSink(StatsConfig.from_settings(settings))]
    bundle = load_or_raise(settings.content_root)
    engine = build_engine(bundle, settings)
    db = open_engine(settings.database_url)
    await migrate(db)
    service = Pipeline(
        engine,
        sessions(db),
        settings.resolved_secret_key(),
        ttl=dt.timedelta(days=settings.conversation_ttl_days),
        sinks=sinks,
        zone=ZoneInfo(settings.hotline.timezone),
    )
    return App(settings, engine, db, service)
