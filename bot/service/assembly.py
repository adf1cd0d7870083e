"""The one place the service is built from `Settings`: content, database, statistics and the
operator queue, the intake and the inbox worker, wake-ups between processes, the desk, and
every configured channel. A serving process (`runtime.py`) and a process that only works the
inbox (`inbox_process.py`) both start from here; they differ only in what they run.

Several processes may share one PostgreSQL database: each takes webhooks and works the inbox
(one conversation at a time, see `worker.py`); jobs that count per bot (sending to Telegram and
to Twilio, long polling) run in one elected process (`election.py`); each process sends to the
web pages it holds; wake-ups cross processes through `signals.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot import heap
from bot.channels import registry
from bot.channels.base import Channel, ChannelNeeds, ChannelPlugin
from bot.content import Content
from bot.conversation import EventSink
from bot.delivery.election import Election
from bot.delivery.inbox import Intake
from bot.delivery.pipeline import Pipeline
from bot.delivery.sender import OutboxSender
from bot.delivery.signals import Signals
from bot.delivery.turns import Acknowledge, Shaper, Turns
from bot.delivery.worker import InboxWorker
from bot.engine.model import Bundle
from bot.misses.sink import misses_sinks
from bot.operators.console_deps import ConsoleDeps
from bot.operators.desk import Desk
from bot.operators.hours import Hours
from bot.operators.notify import Notifier
from bot.operators.sink import HandoverSink
from bot.service.core import Core, load_content, open_core
from bot.settings import Settings
from bot.stats.counters import StatsSink
from bot.storage.database import asyncpg_dsn
from bot.storage.sealed import Sealer
from bot.web import state

INBOX = "inbox"
OUTBOX = "outbox:"
DESK = "desk"
"""Wake-up topics (see `bot/delivery/signals.py`)."""
INTAKE_FLUSHES = 4
"""On PostgreSQL, transactions storing accepted updates at once (see `Intake`)."""

ELSEWHERE_NEEDS_POSTGRES = (
    "processing the inbox in separate `work` processes needs PostgreSQL (DATABASE_URL="
    "postgresql+asyncpg://...): SQLite has no row locks and no wake-ups between processes"
)


@dataclass
class Services:
    """Everything built, nothing running yet."""

    settings: Settings
    core: Core
    stats: StatsSink
    intake: Intake
    signals: Signals
    notifier: Notifier
    desk: Desk
    worker: InboxWorker
    channels: dict[str, Channel]
    elections: dict[str, Election]

    @property
    def content(self) -> Content:
        return self.core.content

    @property
    def db(self) -> AsyncEngine:
        return self.core.db

    @property
    def sessions(self) -> async_sessionmaker[Any]:
        return self.core.sessions

    @property
    def conversations(self) -> Pipeline:
        return self.core.service

    @property
    def senders(self) -> dict[str, OutboxSender]:
        """Each channel's outbox sender, by channel."""
        return {
            name: channel.sender
            for name, channel in self.channels.items()
            if channel.sender is not None
        }

    def console(self) -> ConsoleDeps:
        return ConsoleDeps(self.sessions, self.desk, self.notifier, self.content)

    def lifespan_state(self) -> dict[str, Any]:
        """What the web app's routes read (see `bot/web/state.py`)."""
        return {
            state.INTAKE: self.intake,
            state.CONTENT: self.content,
            state.DATABASE: self.core,
            state.SESSIONS: self.sessions,
            state.CHANNELS: self.channels,
            state.CONSOLE: self.console(),
        }

    def reload(self, bundle: Bundle) -> None:
        """New content passed lint: conversations continue on it from their next turn."""
        self.core.reload(bundle)
        heap.resettle()

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()
        await self.core.close()


def inbox_worker(
    service: Pipeline,
    signals: Signals,
    notifier: Notifier,
    *,
    acknowledgers: Mapping[str, Acknowledge],
    shapers: Mapping[str, Shaper],
) -> InboxWorker:
    """Turns on the inbox: replies wake their channel's sender, changes wake the console, in
    this process and (PostgreSQL) the others."""

    def queued(channel: str) -> None:
        signals.publish(OUTBOX + channel)

    turns = Turns(
        service,
        service.sessions,
        on_queued=queued,
        on_committed=notifier.touch,
        acknowledgers=acknowledgers,
        shapers=shapers,
    )
    lanes = 1 if signals.dsn is None else 2  # SQLite lets one transaction write at a time
    return InboxWorker(service.sessions, turns.handle, turns.batch, lanes=lanes)


async def assemble(
    settings: Settings,
    plugins: Sequence[ChannelPlugin] | None = None,
    *,
    serving: bool = True,
    turns: bool = True,
) -> Services:
    """Build the service for a process that serves (`serving`: takes webhooks, runs the
    channels and senders, answers the console) and works the inbox (`turns`), or for one that
    only works the inbox. `plugins`: the channels to open (the configured ones when None).
    Raises ValueError when the inbox is to be worked elsewhere on SQLite."""
    dsn = asyncpg_dsn(settings.database_url)
    if (not turns or not serving) and dsn is None:
        raise ValueError(ELSEWHERE_NEEDS_POSTGRES)
    if plugins is None:
        plugins = registry.configured(settings)
    secret = settings.resolved_secret_key()
    sealer = Sealer(secret)
    content = load_content(settings)
    stats = StatsSink(settings.stats)
    handovers = HandoverSink(content.current, Hours(settings.hotline), sealer)
    sinks: list[EventSink] = [stats, handovers, *misses_sinks(settings)]
    core = await open_core(settings, sinks=sinks, content=content, sealer=sealer)
    signals = Signals(dsn)
    elections: dict[str, Election] = {}

    def elected(job: str) -> asyncio.Event:
        if not serving:  # never leads: a `work` process runs no per-bot job
            return asyncio.Event()
        elections[job] = Election(dsn, job)
        return elections[job].leading

    def queued(channel: str) -> None:
        signals.publish(OUTBOX + channel)

    notifier = Notifier(relay=lambda: signals.publish(DESK, local=False))
    intake = Intake(
        core.sessions,
        secret,
        on_accept=lambda: signals.publish(INBOX),
        flushes=1 if dsn is None else INTAKE_FLUSHES,
        campaigns=stats.campaigns,
        sealer=sealer,
    )
    needs = ChannelNeeds(settings, core.sessions, secret, sealer, intake, content, elected)
    channels = {plugin.name: plugin.open(needs) for plugin in plugins}
    worker = inbox_worker(
        core.service,
        signals,
        notifier,
        acknowledgers={
            name: channel.acknowledge
            for name, channel in channels.items()
            if channel.acknowledge is not None
        },
        shapers={
            name: channel.shaper for name, channel in channels.items() if channel.shaper is not None
        },
    )
    desk = Desk(core.service, stats, notifier, on_queued=queued)
    services = Services(
        settings, core, stats, intake, signals, notifier, desk, worker, channels, elections
    )
    if serving:
        signals.on(DESK, notifier.wake)
        for name, sender in services.senders.items():
            signals.on(OUTBOX + name, sender.wake)
    if turns:
        signals.on(INBOX, worker.wake)
    return services
