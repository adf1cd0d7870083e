"""The running service: what `assembly.py` built, set going in a serving process. The inbox
worker (unless `work` processes take it), one outbox sender per channel, the channels' own jobs,
periodic purging, the handover timeouts and content reload.

`stop` stops taking updates, lets the worker finish what was accepted and the senders send what
is due (bounded by `drain_seconds`), then closes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from bot.channels.base import ChannelPlugin
from bot.lint.checks import lint
from bot.operators.accounts import announce_first_operator
from bot.reload import ContentWatcher
from bot.retention import purge_periodically
from bot.service.assembly import Services, assemble
from bot.settings import Settings
from bot.storage.checkpoint import checkpoint_periodically

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    services: Services
    drain_seconds: float = 10.0
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _stop_watching: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    async def start(
        cls,
        settings: Settings,
        plugins: Sequence[ChannelPlugin] | None = None,
        *,
        watch_content: bool = True,
        local_url: str = "",
        turns: bool = True,
    ) -> Runtime:
        """`plugins`: the channels (the configured ones when None). `local_url`: where this
        server listens, for the first-start message when no PUBLIC_URL is set (e.g.
        http://127.0.0.1:8080). `turns`: False leaves the inbox to `work` processes
        (PostgreSQL only)."""
        services = await assemble(settings, plugins, turns=turns)
        runtime = cls(services)
        if settings.operators.bootstrap:
            await announce_first_operator(
                services.sessions, settings.public_url or local_url, settings.data_dir
            )
        runtime._spawn("signals", services.signals.run())
        for elected, election in services.elections.items():
            runtime._spawn(f"election:{elected}", election.run())
        if turns:
            runtime._spawn("inbox", services.worker.run())
        else:
            log.info("inbox: processed by `work` processes, not here")
        for name, sender in services.senders.items():
            runtime._spawn(f"outbox:{name}", sender.run())
        for channel in services.channels.values():
            for name, job in channel.jobs().items():
                runtime._spawn(name, job)
        runtime._spawn("purge", purge_periodically(services.sessions, settings))
        if services.signals.dsn is None:  # SQLite: see bot/storage/checkpoint.py
            every = settings.sqlite_checkpoint_seconds
            runtime._spawn("checkpoint", checkpoint_periodically(services.sessions, every))
        timeout = dt.timedelta(minutes=settings.operators.reply_timeout_minutes)
        runtime._spawn("handover-timeouts", services.desk.run_timeouts(timeout))
        if watch_content:
            watcher = ContentWatcher(
                settings.content_root, partial(lint, settings=settings), services.reload
            )
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

    async def stop(self) -> None:
        services = self.services
        for channel in services.channels.values():
            await channel.stop()
        self._stop_watching.set()
        services.worker.close()
        await self._finish("inbox")
        for name, sender in services.senders.items():
            sender.close()
            await self._finish(f"outbox:{name}")
        for task in self._tasks.values():
            task.cancel()
        stuck = (await asyncio.wait(self._tasks.values(), timeout=5))[1] if self._tasks else set()
        for task in stuck:  # never hold the shutdown: the process is ending anyway
            log.warning("%s did not stop when cancelled", task.get_name())
        await services.close()

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
