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
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from bot.lint.checks import lint
from bot.reload import ContentWatcher
from bot.service.assembly import Services, assemble
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class InboxProcess:
    services: Services
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    @classmethod
    async def start(cls, settings: Settings, *, watch_content: bool = True) -> InboxProcess:
        """Raises ValueError on SQLite (see `assembly.ELSEWHERE_NEEDS_POSTGRES`)."""
        services = await assemble(settings, serving=False)
        process = cls(services)
        for channel in services.channels.values():
            await channel.prepare_turns()
        process._tasks.append(asyncio.create_task(services.signals.run(), name="signals"))
        if watch_content:
            watcher = ContentWatcher(
                settings.content_root, partial(lint, settings=settings), services.reload
            )
            process._tasks.append(asyncio.create_task(watcher.run(asyncio.Event())))
        return process

    async def run(self, stop: asyncio.Event) -> None:
        """Work the inbox until `stop` is set, then finish what was accepted (bounded)."""
        worker = self.services.worker
        work = asyncio.create_task(worker.run(), name="inbox")
        await stop.wait()
        worker.close()
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
        await self.services.close()
