"""The running service: the conversation service plus the inbox worker, one outbox sender per
configured channel, the channels themselves, periodic purging and content reload.

`Runtime.start` brings them up in that order; `stop` stops taking updates, lets the worker finish
what was accepted and the senders send what is due (bounded by `drain_seconds`), then closes.

Several processes may share one PostgreSQL database: each takes webhooks and works the inbox
(one conversation at a time, see `worker.py`); jobs that count per bot (sending to Telegram and
to Twilio, long polling) run in one elected process (`election.py`); each process sends to the
web pages it holds; wake-ups cross processes through `signals.py`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot import heap
from bot.app import App, build_engine, open_app
from bot.channels.sms.shaping import SmsShaper
from bot.channels.sms.transport import SmsTransport
from bot.channels.sms.twilio_client import make_client
from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.transport import TelegramTransport, make_bot
from bot.channels.web.channel import open_web
from bot.channels.web.hub import Hub
from bot.conversation import ConversationService
from bot.delivery.election import Election
from bot.delivery.inbox import Intake
from bot.delivery.pacing import Pacer
from bot.delivery.sender import OutboxSender
from bot.delivery.signals import Signals
from bot.delivery.turns import Acknowledge, Shaper, Turns
from bot.delivery.worker import InboxWorker
from bot.engine.model import Bundle
from bot.misses.sink import misses_sinks
from bot.operators.accounts import announce_first_operator
from bot.operators.desk import Desk
from bot.operators.hours import Hours
from bot.operators.notify import Notifier
from bot.operators.sink import HandoverSink
from bot.reload import ContentWatcher
from bot.settings import Settings
from bot.stats.config import StatsConfig
from bot.stats.counters import StatsSink
from bot.stats.purge import purge_periodically
from bot.storage.checkpoint import checkpoint_periodically
from bot.storage.database import asyncpg_dsn
from bot.storage.sealed import Sealer

log = logging.getLogger(__name__)

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


async def open_service(settings: Settings) -> tuple[App, StatsSink]:
    """The app with the sinks every turn feeds: the statistics, the operator queue and (unless
    MISSES_LOG is off) the misses log."""
    stats = StatsSink(StatsConfig.from_settings(settings))
    hours = Hours(settings.hotline)
    secret = settings.resolved_secret_key()
    handovers = HandoverSink(lambda: app.service.engine, hours, Sealer(secret))
    app = await open_app(settings, sinks=[stats, handovers, *misses_sinks(settings)])
    return app, stats


def inbox_worker(
    service: ConversationService,
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


@dataclass
class Runtime:
    settings: Settings
    app: App
    intake: Intake
    worker: InboxWorker
    senders: dict[str, OutboxSender] = field(default_factory=dict)
    telegram: TelegramChannel | None = None
    sms: SmsTransport | None = None
    web_hub: Hub = field(default_factory=Hub)
    desk: Desk | None = None
    notifier: Notifier = field(default_factory=Notifier)
    signals: Signals = field(default_factory=Signals)
    elections: dict[str, Election] = field(default_factory=dict)
    drain_seconds: float = 10.0
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _stop_watching: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    async def start(
        cls,
        settings: Settings,
        *,
        watch_content: bool = True,
        local_url: str = "",
        turns: bool = True,
    ) -> Runtime:
        """`local_url`: where this server listens, for the first-start message when no
        PUBLIC_URL is set (e.g. http://127.0.0.1:8080). `turns`: False leaves the inbox to
        `work` processes (PostgreSQL only)."""
        secret = settings.resolved_secret_key()
        app, stats = await open_service(settings)
        service = app.service
        dsn = asyncpg_dsn(settings.database_url)
        if not turns and dsn is None:
            raise ValueError(ELSEWHERE_NEEDS_POSTGRES)
        signals = Signals(dsn)
        elections: dict[str, Election] = {}

        def elected(job: str) -> asyncio.Event:
            elections[job] = Election(dsn, job)
            return elections[job].leading

        notifier = Notifier(relay=lambda: signals.publish(DESK, local=False))
        signals.on(DESK, notifier.wake)
        senders: dict[str, OutboxSender] = {}
        acknowledgers = {}
        telegram_bot = None
        if settings.telegram.enabled:
            telegram_bot = make_bot(settings.telegram)
            transport = TelegramTransport(telegram_bot)
            pacer = Pacer(settings.telegram.rate_global, settings.telegram.rate_per_chat)
            senders[transport.channel] = OutboxSender(
                transport,
                service.sessions,
                Sealer(secret),
                pacer,
                leading=elected("telegram-sender"),
            )
            acknowledgers[transport.channel] = transport.acknowledge

        shapers = {}
        sms: SmsTransport | None = None
        if settings.twilio.enabled and settings.public_url:
            twilio = settings.twilio
            client = make_client(twilio.account_sid, twilio.auth_token, twilio.api_url)
            sms = SmsTransport(client, twilio, settings.public_url)
            senders[sms.channel] = OutboxSender(
                sms,
                service.sessions,
                Sealer(secret),
                Pacer(twilio.rate_per_number, 0),
                leading=elected("sms-sender"),
            )
            shapers[sms.channel] = SmsShaper(lambda: service.engine, twilio.max_segments)
        elif settings.twilio.enabled:
            log.warning("sms: Twilio is configured but PUBLIC_URL is not: SMS stays off")
        web_hub, web_sender = open_web(service.sessions, secret)
        senders[web_sender.channel] = web_sender
        for channel, sender in senders.items():
            signals.on(OUTBOX + channel, sender.wake)

        def queued(channel: str) -> None:
            signals.publish(OUTBOX + channel)

        worker = inbox_worker(
            service, signals, notifier, acknowledgers=acknowledgers, shapers=shapers
        )
        if turns:
            signals.on(INBOX, worker.wake)
        intake = Intake(
            service.sessions,
            secret,
            on_accept=lambda: signals.publish(INBOX),
            flushes=1 if dsn is None else INTAKE_FLUSHES,
            campaigns=stats.campaigns,
        )
        runtime = cls(settings, app, intake, worker, senders, sms=sms, notifier=notifier)
        runtime.signals, runtime.elections = signals, elections
        runtime.web_hub = web_hub
        runtime.desk = Desk(
            service.sessions,
            lambda: service.engine,
            Sealer(secret),
            stats,
            notifier,
            ttl=service.ttl,
            on_queued=queued,
        )
        if settings.operators.bootstrap:
            await announce_first_operator(
                service.sessions, settings.public_url or local_url, settings.data_dir
            )
        if telegram_bot is not None:
            runtime.telegram = TelegramChannel(
                telegram_bot,
                intake,
                lambda: service.engine.texts,
                public_url=settings.public_url,
                webhook_secret=settings.resolved_webhook_secret(),
                polling=elected("telegram-poll") if not settings.public_url else None,
            )
        runtime._spawn("signals", signals.run())
        for job, election in elections.items():
            runtime._spawn(f"election:{job}", election.run())
        if turns:
            runtime._spawn("inbox", worker.run())
        else:
            log.info("inbox: processed by `work` processes, not here")
        for channel, sender in senders.items():
            runtime._spawn(f"outbox:{channel}", sender.run())
        if runtime.telegram is not None:
            runtime._spawn("telegram", runtime.telegram.run())
        runtime._spawn("purge", purge_periodically(service.sessions, settings))
        if dsn is None:  # SQLite: see bot/storage/checkpoint.py
            every = settings.sqlite_checkpoint_seconds
            runtime._spawn("checkpoint", checkpoint_periodically(service.sessions, every))
        timeout = dt.timedelta(minutes=settings.operators.reply_timeout_minutes)
        runtime._spawn("handover-timeouts", runtime.desk.run_timeouts(timeout))
        if watch_content:
            watcher = ContentWatcher(settings.content_root, settings, runtime.reload)
            runtime._spawn("content", watcher.run(runtime._stop_watching))
        return runtime

    def _spawn(self, name: str, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work, name=name)
        task.add_done_callback(self._ended)
        self._tasks[name] = task

    @staticmethod
    def _ended(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s stopped", task.get_name(), exc_info=task.exception())

    def reload(self, bundle: Bundle) -> None:
        """New content passed lint: conversations continue on it from their next message."""
        self.app.service.engine = build_engine(bundle, self.settings)
        heap.resettle()

    async def stop(self) -> None:
        if self.telegram is not None:
            await self.telegram.stop()
        self._stop_watching.set()
        self.web_hub.close()  # pages reconnect to the next start; their replies wait for it
        self.worker.close()
        await self._finish("inbox")
        for channel, sender in self.senders.items():
            sender.close()
            await self._finish(f"outbox:{channel}")
        for task in self._tasks.values():
            task.cancel()
        stuck = (await asyncio.wait(self._tasks.values(), timeout=5))[1] if self._tasks else set()
        for task in stuck:  # never hold the shutdown: the process is ending anyway
            log.warning("%s did not stop when cancelled", task.get_name())
        if self.telegram is not None:
            await self.telegram.close()
        if self.sms is not None:
            await self.sms.close()
        await self.app.close()

    async def _finish(self, name: str) -> None:
        task = self._tasks.get(name)
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=self.drain_seconds)
        except TimeoutError:
            log.warning(
                "%s: not finished within %.0fs; the rest waits for the next start",
                name,
                self.drain_seconds,
            )
        except Exception:
            log.debug("%s ended with an error", name, exc_info=True)
