"""Processing the inbox: updates of one conversation strictly in order, different conversations
together, also when several processes share a PostgreSQL database.

Each lane takes batches (`Turns.batch`): the oldest pending updates, as many as BATCH, processed in
one transaction; the rows it takes are locked and skipped by other processes, and a conversation
is only taken from its oldest pending update on, so its updates never overtake each other.
What a batch leaves to `handle` (one update per transaction) is drained right after it. A batch
that fails is rolled back and its updates are processed one by one: a failure then leaves only
that update pending, retried with backoff while its conversation rests (batches leave resting
conversations alone), and one that keeps failing is set aside after MAX_ATTEMPTS so it cannot
block its conversation for ever. A batch in which one update's turn raised is done again without
that conversation (`Turns.batch`), so the others in it are not held up.

What is logged about a failure names the channel, the inbox row, the tries and the exception's
type and place, never its message or traceback: those can quote what the user wrote (a codec's
error, the parameters of a statement)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import traceback
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.aio import wait_event
from bot.delivery import inbox
from bot.delivery.tables import InboxItem
from bot.delivery.turns import Outcome

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_BASE = 0.5
RETRY_MAX = 30.0
"""Seconds a conversation rests after its update failed n times: RETRY_BASE * 2**n, at most
RETRY_MAX."""
BATCH = 200
"""Updates processed by one transaction at most."""
GATHER = 0.02
"""Seconds a lane waits after a batch that was not full, or after being woken, so that updates
arriving together are processed together: under a burst, each batch is then as full as it can
be (every transaction has a cost of its own); alone, an update waits this much longer."""
BUSY_REST = 0.2
"""Seconds a conversation another process is working on is left to it before looking again."""
AT_ONCE = 10
"""A conversation's pending updates read by one query (each is still locked and checked)."""
POLL = 1.0
"""Seconds between looks at the inbox when nothing wakes the worker (retries, other processes)."""
RESTING_EXCLUDED = 900
"""Resting conversations a batch is told to leave alone at most (bound parameters have a limit);
past that, the rest of them may be tried again early."""


class InboxWorker:
    def __init__(
        self,
        sessions: async_sessionmaker[Any],
        handle: Callable[[int], Awaitable[bool]],
        batch: Callable[[int, Collection[str]], Awaitable[Outcome]],
        *,
        lanes: int = 1,
        size: int = BATCH,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        """`lanes`: batches in flight at once (1 on SQLite, where transactions take turns)."""
        self.sessions = sessions
        self.handle = handle
        self.batch = batch
        self.lanes = lanes
        self.size = size
        self.clock = clock
        self._resting: dict[str, float] = {}
        self._wakes: list[asyncio.Event] = []
        self._closing = False
        self.processed = 0

    def wake(self) -> None:
        for event in self._wakes:
            event.set()

    def close(self) -> None:
        """Ask `run` to return once every accepted update is processed."""
        self._closing = True
        self.wake()

    async def run(self) -> None:
        lanes = [asyncio.create_task(self._lane()) for _ in range(self.lanes)]
        try:
            await asyncio.gather(*lanes)
        finally:
            for lane in lanes:
                lane.cancel()

    async def _lane(self) -> None:
        wake = asyncio.Event()
        self._wakes.append(wake)
        failures = 0
        while True:
            wake.clear()
            try:
                outcome = await self.batch(self.size, self._rests())
            except Exception as error:
                failures += 1
                if failures == 1:
                    log.warning("inbox: a batch failed (%s); one update at a time", what(error))
                if not await self._one_by_one():  # the database is away: wait for it
                    await asyncio.sleep(min(10.0, 0.5 * failures))
                continue
            failures = 0
            self.processed += outcome.done
            for cid in outcome.deferred:
                await self._drain(cid)
            if outcome.taken >= self.size:
                continue
            if not outcome.taken:
                if self._closing:
                    return
                await wait_event(wake, POLL)
            if not self._closing:  # let updates arriving together make one batch
                await asyncio.sleep(GATHER)

    def _rests(self) -> list[str]:
        """The conversations resting now (after a failure, or busy elsewhere)."""
        now = asyncio.get_running_loop().time()
        self._resting = {cid: until for cid, until in self._resting.items() if until > now}
        return list(self._resting)[-RESTING_EXCLUDED:]

    async def _one_by_one(self) -> bool:
        """After a failed batch: the conversations it would have taken, one update at a time.
        False when the database cannot be reached."""
        try:
            async with self.sessions() as session:
                waiting = await inbox.pending_conversations(session, self.size)
        except Exception:
            return False
        resting = set(self._rests())
        for cid in waiting:
            if cid not in resting:
                await self._drain(cid)
        return True

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
                except Exception as error:
                    await self._failed(cid, item_id, error)
                    return
                if not done:  # another process holds it; it drains the rest too
                    self._resting[cid] = asyncio.get_running_loop().time() + BUSY_REST
                    return
                self.processed += 1

    async def _failed(self, cid: str, item_id: int, error: Exception) -> None:
        """Count the failure; rest the conversation a while; set the update aside if hopeless,
        with a warning (nothing is dropped without one)."""
        channel = "?"
        try:
            async with self.sessions() as session, session.begin():
                item = await session.get(InboxItem, item_id, with_for_update=True)
                attempts = (item.attempts if item else 0) + 1
                channel = item.channel if item else channel
                values: dict[str, Any] = {"attempts": attempts}
                if attempts >= MAX_ATTEMPTS:
                    values.update(done_at=self.clock(), body=None, address=None)
                await session.execute(
                    update(InboxItem).where(InboxItem.id == item_id).values(**values)
                )
        except Exception:
            log.warning(
                "inbox: a %s update (inbox row %s) failed (%s) and the database is unavailable",
                channel,
                item_id,
                what(error),
            )
            attempts = 1
        else:
            if attempts >= MAX_ATTEMPTS:
                log.warning(
                    "inbox: a %s update (inbox row %s) set aside after %s tries, unprocessed: %s",
                    channel,
                    item_id,
                    attempts,
                    what(error),
                )
            else:
                log.warning(
                    "inbox: a %s update (inbox row %s) failed on try %s of %s: %s",
                    channel,
                    item_id,
                    attempts,
                    MAX_ATTEMPTS,
                    what(error),
                )
        loop = asyncio.get_running_loop()
        self._resting[cid] = loop.time() + min(RETRY_MAX, RETRY_BASE * 2**attempts)


def what(error: BaseException) -> str:
    """The exception's type and where it was raised (file, line, function): enough to find the
    fault, and nothing of the data it was handling."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return type(error).__name__
    last = frames[-1]
    return (
        f"{type(error).__name__} at {last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name}"
    )
