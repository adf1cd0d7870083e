"""What operators do to a handover: take it, reply, close it with an outcome, hand it back to the
bot, or put it back in the queue; and the periodic return of requests left unanswered.

Each action is one transaction: the handover, the conversation's state (the engine decides what
the user is told), the statistics and the outbox change together; what happens to the
conversation is a turn of the turn pipeline (`bot/delivery/pipeline.py`), as a user's message
is. The user's reply goes out on their own channel through the same outbox the bot uses; the
operator never sees an address.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot import DEFAULT_LANGUAGE
from bot.conversation import Context, EventSink, Step
from bot.delivery.pipeline import Pipeline, Ran, Turn
from bot.engine.engine import Result
from bot.engine.environment import Environment
from bot.engine.messages import Event, Outgoing
from bot.engine.state import State
from bot.operators import queue
from bot.operators.notify import Notifier
from bot.operators.tables import CLOSED, OPERATOR, QUEUED, TAKEN, Handover, Operator
from bot.stats.counters import StatsSink
from bot.storage import conversations
from bot.storage.sealed import Sealer

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


class Desk:
    def __init__(
        self,
        pipeline: Pipeline,
        stats: StatsSink,
        notifier: Notifier,
        *,
        on_queued: Callable[[str], None] = lambda channel: None,
    ) -> None:
        self.pipeline = pipeline
        self.sessions = pipeline.sessions
        self.stats = stats
        self.notifier = notifier
        self.on_queued = on_queued

    @property
    def sealer(self) -> Sealer:
        """What seals the transcript's lines (and the outbox's bodies)."""
        return self.pipeline.sealer

    def clock(self) -> dt.datetime:
        return self.pipeline.clock()

    # --- actions ------------------------------------------------------------------------------
    async def take(self, operator: Operator, handover_id: int) -> None:
        """Raises DeskError('not_available') when another operator was first, or it is not
        waiting any more, or not in the operator's languages."""

        def taken(state: State, env: Environment) -> Result:
            state.live = True
            return Result(state, [self._say(state, "operator.taken")], [])

        async with self.sessions() as session, session.begin():
            now = self.clock()
            if not await queue.take(session, handover_id, operator.id, operator.languages, now):
                raise DeskError("not_available")
            row = await self._handover(session, handover_id)
            ran = await self._turn(session, row, taken)
            if ran is None:
                await queue.close(session, row, "gone", "gone", now)
        self._after(ran)

    async def reply(self, operator: Operator, handover_id: int, text: str) -> None:
        text = text.strip()[:REPLY_LIMIT]
        if not text:
            raise DeskError("empty")
        async with self.sessions() as session, session.begin():
            now = self.clock()
            row = await self._mine(session, operator, handover_id)
            line = queue.add_words(session, row, OPERATOR, text, self.sealer, now, operator.id)
            await session.flush()  # its id is the words' reference
            engine = self.pipeline.engine

            def words(state: State, env: Environment) -> Result:
                message = engine.from_operator(state, text, name=operator.display_name)
                return Result(state, [dataclasses.replace(message, ref=queue.line_ref(line))], [])

            ran = await self._turn(session, row, words)
            if ran is None:  # nobody to say it to: the words were never said
                await session.delete(line)
                await queue.close(session, row, "gone", "gone", now)
            else:
                if row.answered_at is None:
                    row.answered_at = now
                    waited = (now - conversations.as_utc(row.requested_at)).total_seconds()
                    await self.stats.count_response_time(
                        session, now=now, channel=row.channel, urgent=row.urgent, seconds=waited
                    )
                row.waiting_since, row.updated_at = None, now
        self._after(ran)

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
            await self._release(session, [row], "returned", now)
        self._after(None)

    async def requeue_unanswered(self, timeout: dt.timedelta) -> int:
        """Requests whose user waited longer than `timeout` for their operator go back to the
        queue, so another operator can answer. Returns how many."""
        async with self.sessions() as session, session.begin():
            now = self.clock()
            rows = await queue.unanswered(session, now, timeout)
            if rows:
                await self._release(session, rows, "timeout", now)
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
        engine = self.pipeline.engine

        def released(state: State, env: Environment) -> Result:
            return engine.release(state, key)

        async with self.sessions() as session, session.begin():
            now = self.clock()
            row = await self._handover(session, handover_id)
            allowed = row.status == TAKEN and row.operator_id == operator.id
            waiting = row.status == QUEUED and row.lang in operator.languages
            if not (allowed or waiting):
                raise DeskError("not_yours")
            event = HANDED_BACK if outcome == HANDED_BACK else "closed"
            await queue.close(session, row, outcome, event, now)
            sinks = () if outcome == HANDED_BACK else (_Outcome(self.stats, outcome),)
            ran = await self._turn(session, row, released, sinks)
        self._after(ran)

    async def _release(
        self, session: AsyncSession, rows: Sequence[Handover], event: str, now: dt.datetime
    ) -> None:
        """Back to the queue: the conversations are no longer live (nothing is said)."""
        for row in rows:
            await queue.release(session, row, event, now)
        turns = [self._handing(row, _not_live) for row in rows]
        await self.pipeline.run(session, turns)

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

    def _handing(self, row: Handover, step: Step, sinks: Sequence[EventSink] = ()) -> Turn:
        """The desk's turn on a handover's conversation, if it still exists: the operator's
        doing, recorded by `sinks` only, the replies to the address kept with it."""
        return Turn(
            row.conversation_id,
            row.channel,
            step,
            to_stored_address=True,
            existing_only=True,
            sinks=sinks,
        )

    async def _turn(
        self, session: AsyncSession, row: Handover, step: Step, sinks: Sequence[EventSink] = ()
    ) -> Ran | None:
        """One turn (`_handing`) by the pipeline; None when the conversation is gone."""
        ran = await self.pipeline.run(session, [self._handing(row, step, sinks)])
        return ran if ran.results[0] is not None else None

    def _say(self, state: State, key: str) -> Outgoing:
        """A content text about the operator, from the bot (with the button back to the menu,
        as the operator's own messages have)."""
        engine = self.pipeline.engine
        lang = state.lang or DEFAULT_LANGUAGE
        return Outgoing(
            engine.texts.render(lang, key),
            engine.menu_button(state),
            sms_text=engine.texts.render(lang, key, sms=True),
            key=key,
        )

    def _after(self, ran: Ran | None) -> None:
        for channel in ran.queued if ran is not None else ():
            self.on_queued(channel)
        self.notifier.touch()


def _not_live(state: State, env: Environment) -> Result:
    state.live = False
    return Result(state, [], [])


class _Outcome:
    """The sink of an operator's close: counts its outcome (once per conversation and day)."""

    def __init__(self, stats: StatsSink, outcome: str) -> None:
        self.stats = stats
        self.outcome = outcome

    async def record(self, session: AsyncSession, ctx: Context, events: Sequence[Event]) -> None:
        await self.stats.count_outcome(session, ctx, self.outcome)
