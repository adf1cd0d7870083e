"""The conversation service: finds a conversation by pseudonym, runs the engine, stores the new
state and passes events on, all in one transaction so a crash never half-applies a message.

Channel adapters call this with a raw user id; it never leaves this module except as a pseudonym.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.engine.engine import Engine, Result
from bot.engine.messages import Event, ForgetRequested, Incoming, Outgoing
from bot.engine.state import State
from bot.storage import conversations
from bot.storage.pseudonym import pseudonym
from bot.storage.tables import Conversation

Step = Callable[[State], Result]
"""What happens to a conversation's state: usually one engine call."""


class Batch:
    """What the turns of one transaction share when many are processed together: each sink
    keeps under its own key what it read once for all of them (`Preparing.prepare`) or owes,
    and `finish` writes what is owed once, before the transaction commits."""

    def __init__(self) -> None:
        self.parts: dict[object, Any] = {}
        self._finishers: list[Callable[[AsyncSession], Awaitable[None]]] = []

    def on_finish(self, write: Callable[[AsyncSession], Awaitable[None]]) -> None:
        self._finishers.append(write)

    async def finish(self, session: AsyncSession) -> None:
        for write in self._finishers:
            await write(session)


@dataclass(frozen=True)
class Context:
    """What event consumers may know about a conversation: never who it is."""

    conversation_id: str
    channel: str
    state: State
    now: dt.datetime
    notices: list[Outgoing] = field(default_factory=list)
    """What sinks add to the user's reply (a queue position): joined to the last message."""
    history: list[Outgoing] = field(default_factory=list)
    """What sinks show again before the reply (a handover's transcript, to a page that lost
    it): sent first, as messages of their own."""
    batch: Batch | None = None
    """Set when this turn is one of many in the transaction (see Batch)."""


class EventSink(Protocol):
    async def record(self, session: AsyncSession, ctx: Context, events: Sequence[Event]) -> None:
        """Store what the events mean, inside the conversation's transaction."""
        ...


@runtime_checkable
class Preparing(Protocol):
    async def prepare(
        self, session: AsyncSession, batch: Batch, conversation_ids: Collection[str]
    ) -> None:
        """Before a batch of turns: read once what `record` needs for these conversations."""
        ...


@runtime_checkable
class Forgetting(Protocol):
    async def forget(self, session: AsyncSession, conversation_id: str) -> None:
        """Delete what this sink keeps about the conversation ('forget me')."""
        ...


def joined(messages: list[Outgoing], notices: Sequence[Outgoing]) -> list[Outgoing]:
    """Notices appended to the last message (one SMS, one bubble), or sent alone."""
    out = list(messages)
    for notice in notices:
        if not out:
            out.append(notice)
            continue
        last = out[-1]
        sms = f"{last.sms_text or last.text}\n{notice.sms_text or notice.text}"
        out[-1] = replace(last, text=f"{last.text}\n\n{notice.text}", sms_text=sms)
    return out


def finished(result: Result) -> Result:
    """`result` as its channel sends it: its `finish` (SMS paging) applied to its messages, once
    (the notices must already be joined)."""
    if result.finish is not None:
        finish, result.finish = result.finish, None
        result.messages = finish(result)
    return result


class ConversationService:
    def __init__(
        self,
        engine: Engine,
        sessions: async_sessionmaker[Any],
        secret: bytes,
        *,
        ttl: dt.timedelta,
        sinks: Sequence[EventSink] = (),
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.engine = engine
        self.sessions = sessions
        self.secret = secret
        self.ttl = ttl
        self.sinks = list(sinks)
        self.clock = clock

    def conversation_id(self, channel: str, user_id: str) -> str:
        return pseudonym(self.secret, channel, user_id)

    async def handle(
        self, channel: str, user_id: str, incoming: Incoming, *, source: str | None = None
    ) -> Result:
        """One message from a user: the engine's answer, with state and events stored.
        `source`: the campaign code that brought a new conversation (deep link, ?src=, keyword)."""

        def step(state: State) -> Result:
            return self.engine.handle(state, incoming)

        return await self.run(self.conversation_id(channel, user_id), channel, step, source=source)

    async def greet(
        self, channel: str, user_id: str, *, lang: str | None = None, source: str | None = None
    ) -> Result:
        """Open (or resume) a conversation without a message: language question, menu, or where
        the user left off. `lang` sets the language as if the user had chosen it."""

        def opening(state: State) -> Result:
            if lang is not None:
                state.lang = lang
            return self.engine.greeting(state)

        cid = self.conversation_id(channel, user_id)
        return await self.run(cid, channel, opening, source=source)

    async def forget(self, channel: str, user_id: str) -> None:
        """Delete everything stored about this user."""
        await self.run(
            self.conversation_id(channel, user_id),
            channel,
            lambda st: Result(State(), [], [ForgetRequested()]),
        )

    async def run(
        self,
        conversation_id: str,
        channel: str,
        step: Step,
        *,
        source: str | None = None,
        address: str | None = None,
        session: AsyncSession | None = None,
    ) -> Result:
        """Run `step` on the conversation's state and store the outcome. Inside `session`'s
        transaction when given (so a caller can add its own writes), else in a new one.
        `address`: where replies go, already sealed; kept with the conversation."""
        if session is None:
            async with self.sessions() as own, own.begin():
                return await self._run(own, conversation_id, channel, step, source, address)
        return await self._run(session, conversation_id, channel, step, source, address)

    async def _run(
        self,
        session: AsyncSession,
        cid: str,
        channel: str,
        step: Step,
        source: str | None,
        address: str | None,
    ) -> Result:
        now = self.clock()
        row, state = await conversations.load(session, cid, now=now, ttl=self.ttl)
        result = step(state or self.engine.new_state(source=source))
        if forgets(result):
            for sink in self.sinks:
                if isinstance(sink, Forgetting):
                    await sink.forget(session, cid)
            if row is not None:
                await session.delete(row)
                await session.flush()
            return finished(result)
        ctx = Context(cid, channel, result.state, now)
        await self.settle(session, ctx, row, result, address)
        return result

    async def prepare(self, session: AsyncSession, conversation_ids: Collection[str]) -> Batch:
        """A Batch for turns of these conversations in one transaction: the sinks read what
        they need for all of them at once."""
        batch = Batch()
        for sink in self.sinks:
            if isinstance(sink, Preparing):
                await sink.prepare(session, batch, conversation_ids)
        return batch

    async def record(self, session: AsyncSession, ctx: Context, result: Result) -> None:
        """After the step: the sinks record its events (they may update state.marks), their
        notices join the reply, and the channel finishes it (SMS: pages it, notices included)."""
        for sink in self.sinks:
            await sink.record(session, ctx, result.events)
        if ctx.notices:
            result.messages = joined(result.messages, ctx.notices)
        if ctx.history:
            result.messages = [*ctx.history, *result.messages]
        finished(result)

    async def settle(
        self,
        session: AsyncSession,
        ctx: Context,
        row: Conversation | None,
        result: Result,
        address: str | None,
    ) -> Conversation:
        """After the step: `record` it, and store the new state in the conversation's row
        (returned; created when missing)."""
        await self.record(session, ctx, result)
        row = conversations.save(session, row, ctx.conversation_id, ctx.channel, ctx.state, ctx.now)
        if address is not None:
            row.address, row.blocked = address, False  # they wrote: they can be answered
        return row


def forgets(result: Result) -> bool:
    """The user asked for everything about them to be deleted."""
    return any(isinstance(e, ForgetRequested) for e in result.events)
