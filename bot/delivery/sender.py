"""Draining the outbox for one channel at the platform's pace.

Each round reads the oldest pending message of every conversation, sends those that are due
(paced overall and per conversation, several in flight at once), and records the outcome:
delivered (deleted, or the next part of a split message), retry later (backoff, or the
platform's own retry_after), blocked (the user blocked the bot: nothing more is sent to them),
rejected (kept as failed, logged without its text). Network calls never hold a transaction.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, cast

from sqlalchemy import Table, delete
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.aio import wait_event
from bot.delivery import outbox
from bot.delivery.pacing import Pacer
from bot.delivery.tables import FAILED, PENDING, OutboxItem
from bot.engine.messages import Outgoing
from bot.storage.conversations import as_utc, set_blocked
from bot.storage.database import autocommit
from bot.storage.sealed import Sealer

log = logging.getLogger(__name__)

BATCH = 500
GIVE_UP = dt.timedelta(hours=24)
"""A message still undeliverable after a day is kept as failed: the answer is stale by then."""
MAX_BACKOFF = 300.0


@dataclass(frozen=True)
class Delivered:
    pass


@dataclass(frozen=True)
class Retry:
    after: float | None = None
    """Seconds the platform asked us to wait (429 retry_after); None: our own backoff."""
    reason: str = ""


@dataclass(frozen=True)
class Blocked:
    pass


@dataclass(frozen=True)
class Rejected:
    reason: str


Outcome = Delivered | Retry | Blocked | Rejected


class Transport(Protocol):
    """A channel's sending side: how a neutral message becomes platform messages, and sending
    one of them to a (clear) address."""

    channel: str

    def render(self, message: Outgoing) -> Sequence[Any]: ...

    async def send(self, address: str, piece: Any) -> Outcome: ...


def backoff(attempts: int) -> float:
    """1, 2, 4 ... seconds up to five minutes, with jitter so retries do not arrive together."""
    base: float = min(MAX_BACKOFF, 2.0 ** max(0, attempts - 1))
    return base * random.uniform(0.8, 1.2)


class OutboxSender:
    def __init__(
        self,
        transport: Transport,
        sessions: async_sessionmaker[Any],
        sealer: Sealer,
        pacer: Pacer,
        *,
        max_in_flight: int = 32,
        leading: asyncio.Event | None = None,
        only: Callable[[], Collection[str]] | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.transport = transport
        self.channel = transport.channel
        self.sessions = sessions
        self.sealer = sealer
        self.pacer = pacer
        self.clock = clock
        self.leading = leading
        """Set while this process is the one sending on this channel (None: always)."""
        self.only = only
        """The conversations this process can deliver to (None: all of them)."""
        self._slots = asyncio.Semaphore(max_in_flight)
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._closing = False
        self.sent = 0

    def wake(self) -> None:
        """New messages were queued."""
        self._wake.set()

    async def run(self) -> None:
        """Send until cancelled, or until `close` was asked and nothing due is left."""
        failures = 0
        while True:
            self._wake.clear()
            if self.leading is not None and not self.leading.is_set():
                if self._closing and not self._in_flight:
                    return  # another process sends; what is queued waits for it
                await wait_event(self.leading, 0.5)
                continue
            # a conversation busy before the query may have finished during it: the query could
            # still have seen the message just delivered, so skip those until the next round
            busy = set(self._in_flight)
            try:
                heads = await self._heads()
                failures = 0
            except Exception:
                failures += 1
                log.warning("outbox: database unavailable, retrying", exc_info=failures == 1)
                await asyncio.sleep(min(10.0, 0.5 * failures))
                continue
            now = self.clock()
            due = [
                h
                for h in heads
                if h.conversation_id not in busy and h.conversation_id not in self._in_flight
            ]
            pause = 1.0
            if (
                self._closing
                and not self._in_flight
                and not [h for h in heads if as_utc(h.not_before) <= now + dt.timedelta(seconds=2)]
            ):
                return
            for head in due:
                wait = (as_utc(head.not_before) - now).total_seconds()
                key_wait = self.pacer.key_ready_at(head.conversation_id) - self.pacer.clock()
                if wait > 0 or key_wait > 0:
                    pause = min(pause, max(wait, key_wait))
                    continue
                await self._slots.acquire()
                await self.pacer.acquire(head.conversation_id)
                task = asyncio.create_task(self._deliver(head))
                self._in_flight[head.conversation_id] = task
                task.add_done_callback(partial(self._done, head.conversation_id))
            await wait_event(self._wake, max(0.01, pause))

    def _done(self, conversation_id: str, _task: asyncio.Task[None]) -> None:
        self._in_flight.pop(conversation_id, None)
        self._slots.release()
        self._wake.set()

    async def _heads(self) -> list[OutboxItem]:
        async with self.sessions() as session:
            return await outbox.heads(
                session, self.channel, BATCH, None if self.only is None else self.only()
            )

    async def _deliver(self, item: OutboxItem) -> None:
        try:
            await self._attempt(item)
        finally:
            self.pacer.release(item.conversation_id)

    async def _attempt(self, item: OutboxItem) -> None:
        try:
            pieces = self.transport.render(outbox.message_of(item.body, self.sealer))
            if item.part >= len(pieces):
                outcome: Outcome = Delivered()
            else:
                address = self.sealer.open(item.address)
                outcome = await self.transport.send(address, pieces[item.part])
            await self._record(item, outcome, len(pieces))
        except Exception:
            log.exception("outbox: delivering message %s failed unexpectedly", item.id)
            try:
                await self._record(item, Retry(reason="error"), 1)
            except Exception:
                log.warning("outbox: could not record the failure of message %s", item.id)

    async def _record(self, item: OutboxItem, outcome: Outcome, pieces: int) -> None:
        now = self.clock()
        if isinstance(outcome, Delivered) and item.part + 1 >= pieces:
            await self._delivered(item)
            return
        async with self.sessions() as session, session.begin():
            row = await session.get(OutboxItem, item.id, with_for_update=True)
            if row is None or row.status != PENDING or row.part != item.part:
                return  # recorded meanwhile (another process delivered to its own page)
            if isinstance(outcome, Delivered):
                self.sent += 1
                if row.part + 1 < pieces:
                    row.part += 1
                else:
                    await session.delete(row)
            elif isinstance(outcome, Retry):
                row.attempts += 1
                delay = outcome.after if outcome.after is not None else backoff(row.attempts)
                row.not_before = now + dt.timedelta(seconds=delay)
                if now - as_utc(row.created_at) > GIVE_UP:
                    row.status = FAILED
                    log.error("outbox: message %s given up after %s tries", row.id, row.attempts)
                else:
                    log.info("outbox: message %s retried in %.1fs (%s)", row.id, delay, outcome)
            elif isinstance(outcome, Blocked):
                await set_blocked(session, row.conversation_id, True)
                await session.execute(
                    delete(OutboxItem).where(OutboxItem.conversation_id == row.conversation_id)
                )
                log.info("outbox: a user blocked the bot; their pending messages are dropped")
            else:
                row.status = FAILED
                log.error("outbox: message %s rejected by the platform: %s", row.id, outcome)

    async def _delivered(self, item: OutboxItem) -> None:
        """The common outcome, a message delivered whole: one DELETE on its own, not a
        transaction reading the row first (four round trips, for every message sent). It
        deletes nothing when the row was recorded meanwhile (another process delivered to its
        own page), as the transaction would have found."""
        async with self.sessions() as session, session.begin():
            await autocommit(session)
            table = cast(Table, OutboxItem.__table__)  # the table's own DELETE, not the ORM's
            result = await session.execute(
                delete(table).where(
                    table.c.id == item.id, table.c.status == PENDING, table.c.part == item.part
                )
            )
        if getattr(result, "rowcount", 0):
            self.sent += 1

    def close(self) -> None:
        """Ask `run` to return once nothing due is left (the caller bounds the wait)."""
        self._closing = True
        self._wake.set()
