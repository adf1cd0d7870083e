"""A process that only works the inbox: `python -m bot work`, beside `serve --no-turns`.

Python runs one thread of a process at a time, so one `serve` taking webhooks, answering the
console and sending to Telegram has one core for the turns as well. Separating them (as RapidPro
separates courier, which talks to the platforms, from mailroom, which runs the flows) lets the
web side and the turns each have cores of their own, and each be scaled by starting more.

Both kinds of process share one PostgreSQL database: the inbox rows a batch takes are locked and
skipped by the others (see `bot/delivery/worker.py`), and wake-ups cross processes through
LISTEN/NOTIFY (`bot/delivery/signals.py`): an accepted update wakes a `work` process, the replies
it queues wake the sender in whichever `serve` was elected, a handover wakes the consoles.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from telegram import Bot
from telegram.error import TelegramError

from bot import heap
from bot.app import App, build_engine
from bot.channels.sms import CHANNEL as SMS
from bot.channels.sms.shaping import SmsShaper
from bot.channels.telegram.transport import TelegramTransport, make_bot
from bot.delivery.signals import Signals
from bot.delivery.turns import Acknowledge, Shaper
from bot.delivery.worker import InboxWorker
from bot.engine.model import Bundle
from bot.lint.checks import lint
from bot.operators.notify import Notifier
from bot.reload import ContentWatcher
from bot.runtime import DESK, ELSEWHERE_NEEDS_POSTGRES, INBOX, inbox_worker, open_service
from bot.settings import Settings
from bot.storage.database import asyncpg_dsn

log = logging.getLogger(__name__)


@dataclass
class InboxProcess:
    settings: Settings
    app: App
    worker: InboxWorker
    signals: Signals
    bot: Bot | None = None
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    @classmethod
    async def start(cls, settings: Settings, *, watch_content: bool = True) -> InboxProcess:
        dsn = asyncpg_dsn(settings.database_url)
        if dsn is None:
            raise ValueError(ELSEWHERE_NEEDS_POSTGRES)
        app, _, sealer = await open_service(settings)
        signals = Signals(dsn)
        notifier = Notifier(relay=lambda: signals.publish(DESK, local=False))
        acknowledgers: dict[str, Acknowledge] = {}
        shapers: dict[str, Shaper] = {}
        bot = None
        if settings.telegram.enabled:
            bot = make_bot(settings.telegram)
            transport = TelegramTransport(bot)
            acknowledgers[transport.channel] = transport.acknowledge
        twilio = settings.twilio
        if twilio.enabled and settings.public_url:
            shapers[SMS] = SmsShaper(lambda: app.service.engine, twilio.max_segments)
        worker = inbox_worker(
            app.service, signals, notifier, sealer, acknowledgers=acknowledgers, shapers=shapers
        )
        signals.on(INBOX, worker.wake)
        process = cls(settings, app, worker, signals, bot)
        if bot is not None:
            with contextlib.suppress(TelegramError):  # acknowledging works without getMe
                await bot.initialize()
        process._tasks.append(asyncio.create_task(signals.run(), name="signals"))
        if watch_content:
            watcher = ContentWatcher(
                settings.content_root, partial(lint, settings=settings), process.reload
            )
            process._tasks.append(asyncio.create_task(watcher.run(asyncio.Event())))
        return process

    def reload(self, bundle: Bundle) -> None:
        """New content passed lint: conversations continue on it from their next turn."""
        self.app.service.engine = build_engine(bundle, self.settings)
        heap.resettle()

    async def run(self, stop: asyncio.Event) -> None:
        """Work the inbox until `stop` is set, then finish what was accepted (bounded)."""
        work = asyncio.create_task(self.worker.run(), name="inbox")
        await stop.wait()
        self.worker.close()
        try:
            await asyncio.wait_for(work, timeout=15)
        except TimeoutError:
            log.warning("inbox: not finished within 15s; the rest waits for the next start")
        except Exception:
            log.exception("inbox: the worker ended with an error")

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.bot is not None:
            with contextlib.suppress(Exception):
                await self.bot.shutdown()
        await self.app.close()
