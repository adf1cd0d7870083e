"""What operators do to a handover: take it, reply, close it with an outcome, hand it back to the
bot, or put it back in the queue; and the periodic return of requests left unanswered.

Each action is one transaction: the handover, the conversation's state (the engine decides what
the user is told), the statistics and the outbox change together. The user's reply goes out on
their own channel through the same outbox the bot uses; the operator never sees an address.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversation import Context
from bot.delivery import outbox
from bot.engine.engine import Engine, Result
from bot.engine.messages import Outgoing
from bot.engine.state import OPTED_OUT, State
from bot.operators import queue
from bot.operators.notify import Notifier
from bot.operators.tables import CLOSED, OPERATOR, QUEUED, TAKEN, Handover, Operator
from bot.stats.counters import StatsSink
from bot.storage import conversations
from bot.storage.sealed import Sealer
from bot.storage.tables import Conversation

log = logging.getLogger(__name__)

REPLY_LIMIT = 4000
HANDED_BACK = "handed_back"
USER_LEFT = "user_left"


class DeskError(Exception):
    """An action that cannot be done (someone else has it, it is closed): shown to the
    operator, never a crash."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class _Loaded:
    row: Conversation
    state: State


class Desk:
    def __init__(
        self,
        sessions: async_sessionmaker[Any],
        engine: Callable[[], Engine],
        sealer: Sealer,
        stats: StatsSink,
        notifier: Notifier,
        *,
        ttl: dt.timedelta,
        on_queued: Callable[[str], None] = lambda channel: None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.sessions = sessions
        self.engine = engine
        self.sealer = sealer
        self.stats = stats
        self.notifier = notifier
        self.ttl = ttl
        self.on_queued = on_queued
        self.clock = clock

    # --- actions ------------------------------------------------------------------------------
    async def take(self, operator: Operator, handover_id: int) -> None:
        """Raises DeskError('not_available') when another operator was first, or it is not
        waiting any more, or not in the operator's languages."""
        channel = None
        async with self.sessions() as session, session.begin():
            now = self.clock()
            if not await queue.take(session, handover_id, operator.id, operator.languages, now):
                raise DeskError("not_available")
            row = await self._handover(session, handover_id)
            loaded = await self._conversation(session, row)
            if loaded is None:
                await queue.close(session, row, "gone", "gone", now)
            else:
                loaded.state.live = True
                notice = self._say(loaded.state, "operator.taken")
                channel = self._send(session, row, loaded, [notice], now)
        self._after(channel)

    async def reply(self, operator: Operator, handover_id: int, text: str) -> None:
        text = text.strip()[:REPLY_LIMIT]
        if not text:
            raise DeskError("empty")
        channel = None
        async with self.sessions() as session, session.begin():
            now = self.clock()
            row = await self._mine(session, operator, handover_id)
            loaded = await self._conversation(session, row)
            if loaded is None:
                await queue.close(session, row, "gone", "gone", now)
            else:
                line = queue.add_words(session, row, OPERATOR, text, self.sealer, now, operator.id)
                await session.flush()  # its id is the words' reference
                if row.answered_at is None:
                    row.answered_at = now
                    waited = (now - conversations.as_utc(row.requested_at)).total_seconds()
                    await self.stats.count_response_time(
                        session, now=now, channel=row.channel, urgent=row.urgent, seconds=waited
                    )
                row.waiting_since, row.updated_at = None, now
                message = self.engine().from_operator(
                    loaded.state, text, name=operator.display_name
                )
                message = dataclasses.replace(message, ref=queue.line_ref(line))
                channel = self._send(session, row, loaded, [message], now)
        self._after(channel)

    async def close(self, operator: Operator, handover_id: int, outcome: str) -> None:
        """End the conversation with an outcome topic (counted); the bot answers again."""
        await self._end(operator, handover_id, outcome, "operator.closed")

    async def hand_back(self, operator: Operator, handover_id: int) -> None:
        """Give the conversation back to the bot without an outcome."""
        await self._end(operator, handover_id, HANDED_BACK, "operator.handed_back")

    async def requeue(self, operator: Operator, handover_id: int) -> None:
        """Put a taken conversation back in the queue for a colleague."""
        async with self.sessions() as session, session.begin():
            now = self.clock()
            row = await self._mine(session, operator, handover_id)
            await self._release(session, row, "returned", now)
        self._after(None)

    async def requeue_unanswered(self, timeout: dt.timedelta) -> int:
        """Requests whose user waited longer than `timeout` for their operator go back to the
        queue, so another operator can answer. Returns how many."""
        async with self.sessions() as session, session.begin():
            now = self.clock()
            rows = await queue.unanswered(session, now, timeout)
            for row in rows:
                await self._release(session, row, "timeout", now)
        if rows:
            self._after(None)
        return len(rows)

    async def run_timeouts(self, timeout: dt.timedelta, every: float = 30.0) -> None:
        while True:
            try:
                count = await self.requeue_unanswered(timeout)
                if count:
                    log.info("returned %d unanswered conversation(s) to the queue", count)
            except Exception:
                log.exception("could not return unanswered conversations to the queue")
            await asyncio.sleep(every)

    # --- parts --------------------------------------------------------------------------------
    async def _end(self, operator: Operator, handover_id: int, outcome: str, key: str) -> None:
        channel = None
        async with self.sessions() as session, session.begin():
            now = self.clock()
            row = await self._handover(session, handover_id)
            allowed = row.status == TAKEN and row.operator_id == operator.id
            waiting = row.status == QUEUED and row.lang in operator.languages
            if not (allowed or waiting):
                raise DeskError("not_yours")
            event = HANDED_BACK if outcome == HANDED_BACK else "closed"
            await queue.close(session, row, outcome, event, now)
            loaded = await self._conversation(session, row)
            if loaded is not None:
                result: Result = self.engine().release(loaded.state, key)
                loaded.state = result.state
                if outcome != HANDED_BACK:
                    ctx = Context(row.conversation_id, row.channel, loaded.state, now)
                    await self.stats.count_outcome(session, ctx, outcome)
                channel = self._send(session, row, loaded, result.messages, now)
        self._after(channel)

    async def _release(
        self, session: AsyncSession, row: Handover, event: str, now: dt.datetime
    ) -> None:
        await queue.release(session, row, event, now)
        loaded = await self._conversation(session, row)
        if loaded is not None:
            loaded.state.live = False
            conversations.save(
                session, loaded.row, loaded.row.id, loaded.row.channel, loaded.state, now
            )

    async def _handover(self, session: AsyncSession, handover_id: int) -> Handover:
        row = await session.get(Handover, handover_id, with_for_update=True, populate_existing=True)
        if row is None or row.status == CLOSED:
            raise DeskError("closed")
        return row

    async def _mine(self, session: AsyncSession, operator: Operator, handover_id: int) -> Handover:
        row = await self._handover(session, handover_id)
        if row.status != TAKEN or row.operator_id != operator.id:
            raise DeskError("not_yours")
        return row

    async def _conversation(self, session: AsyncSession, row: Handover) -> _Loaded | None:
        found, state = await conversations.load(
            session, row.conversation_id, now=self.clock(), ttl=self.ttl
        )
        if found is None or state is None:
            return None
        return _Loaded(found, state)

    def _say(self, state: State, key: str) -> Outgoing:
        """A content text about the operator, from the bot (with the button back to the menu,
        as the operator's own messages have)."""
        engine = self.engine()
        lang = state.lang or "ru"
        return Outgoing(
            engine.texts.render(lang, key),
            engine.menu_button(state),
            sms_text=engine.texts.render(lang, key, sms=True),
            key=key,
        )

    def _send(
        self,
        session: AsyncSession,
        row: Handover,
        loaded: _Loaded,
        messages: list[Outgoing],
        now: dt.datetime,
    ) -> str | None:
        """Store the new state and queue the messages to the user's own channel."""
        conv = loaded.row
        conversations.save(session, conv, conv.id, conv.channel, loaded.state, now)
        if not conv.address or conv.blocked or OPTED_OUT in loaded.state.marks or not messages:
            return None
        outbox.enqueue(
            session,
            channel=conv.channel,
            conversation_id=conv.id,
            address=conv.address,
            messages=messages,
            now=now,
            sealer=self.sealer,
        )
        return conv.channel

    def _after(self, channel: str | None) -> None:
        if channel is not None:
            self.on_queued(channel)
        self.notifier.touch()
