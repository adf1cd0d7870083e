"""Processing the inbox: updates of one conversation strictly in order, different conversations
concurrently, also when several processes share a PostgreSQL database: `handle(item_id)` locks
the conversation's oldest pending update and answers False when another process holds it, and
since only the oldest is ever taken, one conversation's updates never overtake each other.

Each update is handled in its own transaction; a failure leaves it pending (retried with
backoff), and one that keeps failing is set aside after MAX_ATTEMPTS so it cannot block its
conversation for ever."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.aio import wait_event
from bot.delivery import inbox
from bot.delivery.tables import InboxItem

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BUSY_REST = 0.2
"""Seconds a conversation another process is working on is left to it before looking again."""
AT_ONCE = 10
"""A conversation's pending updates read by one query (each is still locked and checked)."""
POLL = 1.0
"""Seconds between looks at the inbox when nothing wakes the worker (retries, other processes)."""
REMEMBERED = 1000
"""Past this many resting conversations, those whose rest is over are forgotten."""


class InboxWorker:
    def __init__(
        self,
        sessions: async_sessionmaker[Any],
        handle: Callable[[int], Awaitable[bool]],
        *,
        concurrency: int = 8,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.sessions = sessions
        self.handle = handle
        self.concurrency = concurrency
        self.clock = clock
        self._active: dict[str, asyncio.Task[None]] = {}
        self._resting: dict[str, float] = {}
        self._wake = asyncio.Event()
        self._closing = False
        self.processed = 0

    def wake(self) -> None:
        self._wake.set()

    def close(self) -> None:
        """Ask `run` to return once every accepted update is processed."""
        self._closing = True
        self._wake.set()

    async def run(self) -> None:
        failures = 0
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            try:
                async with self.sessions() as session:
                    waiting = await inbox.pending_conversations(session, self.concurrency * 4)
                failures = 0
            except Exception:
                failures += 1
                log.warning("inbox: database unavailable, retrying", exc_info=failures == 1)
                await asyncio.sleep(min(10.0, 0.5 * failures))
                continue
            now = loop.time()
            if len(self._resting) > REMEMBERED:  # rests of conversations nobody sent again
                self._resting = {c: t for c, t in self._resting.items() if t > now}
            ready = [c for c in waiting if self._resting.get(c, 0.0) <= now]
            if self._closing and not self._active and not ready:
                return
            for cid in ready:
                if len(self._active) >= self.concurrency:
                    break
                if cid not in self._active:
                    task = asyncio.create_task(self._drain(cid))
                    self._active[cid] = task
                    task.add_done_callback(partial(self._finished, cid))
            await wait_event(self._wake, POLL)

    def _finished(self, cid: str, _task: asyncio.Task[None]) -> None:
        self._active.pop(cid, None)
        self._wake.set()

    async def _drain(self, cid: str) -> None:
        """Process this conversation's pending updates, oldest first, until none is left."""
        while True:
            try:
                async with self.sessions() as session:
                    pending = await inbox.next_pending(session, cid, AT_ONCE)
            except Exception:  # the database is away: `run` notices and waits for it
                log.warning("inbox: could not read pending updates", exc_info=True)
                self._resting[cid] = asyncio.get_running_loop().time() + BUSY_REST
                return
            if not pending:
                self._resting.pop(cid, None)
                return
            for item_id in pending:
                try:
                    done = await self.handle(item_id)
                except Exception:
                    await self._failed(cid, item_id)
                    return
                if not done:  # another process holds it; it drains the rest too
                    self._resting[cid] = asyncio.get_running_loop().time() + BUSY_REST
                    return
                self.processed += 1

    async def _failed(self, cid: str, item_id: int) -> None:
        """Count the failure; rest the conversation a while; set the update aside if hopeless."""
        try:
            async with self.sessions() as session, session.begin():
                item = await session.get(InboxItem, item_id, with_for_update=True)
                attempts = (item.attempts if item else 0) + 1
                values: dict[str, Any] = {"attempts": attempts}
                if attempts >= MAX_ATTEMPTS:
                    values.update(done_at=self.clock(), body=None, address=None)
                await session.execute(
                    update(InboxItem).where(InboxItem.id == item_id).values(**values)
                )
        except Exception:
            log.warning("inbox: update %s failed and the database is unavailable", item_id)
            attempts = 1
        else:
            if attempts >= MAX_ATTEMPTS:
                log.exception("inbox: update %s set aside after %s failures", item_id, attempts)
            else:
                log.warning("inbox: update %s failed (try %s)", item_id, attempts, exc_info=True)
        loop = asyncio.get_running_loop()
        self._resting[cid] = loop.time() + min(30.0, 0.5 * 2**attempts)
