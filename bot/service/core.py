"""What every process of the bot opens first: the content, the migrated database and the
conversation service over both."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.content import Content, build_engine
from bot.conversation import EventSink
from bot.delivery.pipeline import Pipeline
from bot.engine.loader import load_or_raise
from bot.engine.model import Bundle
from bot.settings import Settings
from bot.stats.counters import StatsSink
from bot.storage.database import migrate, open_engine, sessions
from bot.storage.sealed import Sealer


@dataclass
class Core:
    """The content, the database and the turn pipeline, opened; `close` releases them."""

    settings: Settings
    content: Content
    db: AsyncEngine
    service: Pipeline

    @property
    def sessions(self) -> async_sessionmaker[Any]:
        return self.service.sessions

    def reload(self, bundle: Bundle) -> None:
        """New content passed lint: conversations continue on it from their next turn."""
        self.content.swap(build_engine(bundle, self.settings.hotline))

    async def close(self) -> None:
        await self.db.dispose()


def load_content(settings: Settings) -> Content:
    """The content files checked and built (raising ContentError with every problem)."""
    return Content(build_engine(load_or_raise(settings.content_root), settings.hotline))


async def open_core(
    settings: Settings,
    sinks: Sequence[EventSink] | None = None,
    *,
    content: Content | None = None,
    sealer: Sealer | None = None,
) -> Core:
    """Load content (unless given), open and migrate the database. Events go to the anonymous
    statistics unless other `sinks` are given; `sealer`: the process's one (made when not
    given)."""
    if sinks is None:
        sinks = [StatsSink(settings.stats)]
    if content is None:
        content = load_content(settings)
    db = open_engine(settings.database_url)
    await migrate(db)
    service = Pipeline(
        content,
        sessions(db),
        settings.resolved_secret_key(),
        ttl=dt.timedelta(days=settings.conversation_ttl_days),
        sinks=sinks,
        zone=ZoneInfo(settings.hotline.timezone),
        sealer=sealer,
    )
    return Core(settings, content, db, service)
