"""The one place a conversation turn is run: load the conversations' states, step each turn
(usually one engine call), let the sinks record what it meant, store the new states and queue
the replies in the outbox, all inside the caller's transaction.

Every producer of a turn comes here: the inbox (a channel's updates, many at once or one at a
time, `bot/delivery/turns.py`), the operator desk (replies, releases), the terminal chat. One
turn alone is a batch of one: the same reads and writes, by the same code.

The claim comes before and belongs to the caller: the inbox locks its updates, the desk its
handover. What the turns of one run share (each conversation read once, the sinks' reads done
once for all of them, the states and replies written with a statement each) is what keeps a
busy inbox cheap per update."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content import Content
from bot.conversation import (
    Batch,
    Context,
    EventSink,
    Forgetting,
    Preparing,
    Step,
    finished,
    forgets,
    joined,
)
from bot.delivery import outbox
from bot.delivery.inbox import unreachable
from bot.engine.engine import Engine, Result
from bot.engine.environment import Environment
from bot.engine.messages import ForgetRequested, Incoming
from bot.engine.state import OPTED_OUT, State
from bot.storage import conversations
from bot.storage.conversations import Saved, Stored
from bot.storage.pseudonym import pseudonym
from bot.storage.sealed import Sealer


@dataclass
class Turn:
    """One turn of one conversation: what happens to its state, and where the replies go."""

    conversation_id: str
    channel: str
    step: Step
    source: str | None = None
    """The campaign code that brought a new conversation (deep link, ?src=, keyword)."""
    address: str | None = None
    """Where the update came from, sealed: the replies go there, and it is kept with the
    conversation (they wrote: they can be answered)."""
    to_stored_address: bool = False
    """Without `address`: send the replies to the address kept with the conversation, unless
    the user blocked the bot or opted out (an operator's words)."""
    existing_only: bool = False
    """Run only on a conversation that exists (an operator acts on one that may have expired)."""
    sinks: Sequence[EventSink] | None = None
    """Who records this turn: the pipeline's sinks (a user's turn: statistics, the queue)
    unless given (an operator's action is not the user's doing; it records its own)."""


@dataclass
class Ran:
    """What one run did."""

    results: list[Result | None]
    """Each turn's result, in order (its replies joined and finished as sent); None for a turn
    not run: on a conversation that does not exist (`existing_only`), or one in `left`."""
    left: list[str] = field(default_factory=list)
    """Conversations whose turns stopped being run: 'forget me' after other turns of theirs in
    the same run (see `Pipeline.run`)."""
    forgotten: list[str] = field(default_factory=list)
    """Conversations deleted by 'forget me'."""
    queued: list[str] = field(default_factory=list)
    """Channels with replies queued in the outbox (their senders are woken after the commit)."""


class TurnFailed(Exception):
    """A turn's step or sink raised: the transaction cannot be committed; the caller may do the
    run again without that conversation."""

    def __init__(self, conversation_id: str, error: Exception) -> None:
        super().__init__(type(error).__name__)
        self.conversation_id = conversation_id
        self.error = error


Finishing = Callable[[AsyncSession, Ran], Awaitable[None]]
"""The caller's own writes of a run's transaction, made after the turns' and before the
counters' (which every run writes: their locks are held until the commit, so the last)."""


class Pipeline:
    """Runs turns (see the module's docstring) on the content's current engine: after a reload,
    conversations continue on the new one from their next turn."""

    def __init__(
        self,
        content: Content,
        sessions: async_sessionmaker[Any],
        secret: bytes,
        *,
        ttl: dt.timedelta,
        zone: ZoneInfo,
        sinks: Sequence[EventSink] = (),
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        sealer: Sealer | None = None,
    ) -> None:
        """`zone`: the hotline's, in which the engine is told the month (see Environment).
        `sealer`: the process's one Sealer of `secret` (made here when not given)."""
        self.content = content
        self.sessions = sessions
        self.secret = secret
        self.sealer = sealer or Sealer(secret)  # the outbox's bodies are sealed
        self.ttl = ttl
        self.sinks = list(sinks)
        self.clock = clock
        self.zone = zone

    @property
    def engine(self) -> Engine:
        return self.content.engine

    def conversation_id(self, channel: str, user_id: str) -> str:
        """The pseudonym a user's conversation is kept under: the raw id goes no further."""
        return pseudonym(self.secret, channel, user_id)

    async def run(
        self, session: AsyncSession, turns: Sequence[Turn], *, finishing: Finishing | None = None
    ) -> Ran:
        """Run the turns in order inside `session`'s transaction (see the module's docstring).

        'Forget me' deletes the conversation, what the sinks keep of it and its queued replies,
        and sends its own answer; as a conversation's first turn in the run it is run, after
        others of it the conversation is left (its results are None from there): what the sinks
        read for the run would be stale. A step or sink that raises raises TurnFailed, except
        when the database is unreachable (that error itself)."""
        now = self.clock()
        env = Environment.at(now, self.zone)
        ids = list(dict.fromkeys(turn.conversation_id for turn in turns))
        stored = await conversations.load(session, ids, now=now, ttl=self.ttl)
        states = {cid: one.state for cid, one in stored.items()}
        versions = {cid: one.version for cid, one in stored.items()}
        batch = await self._prepare(session, turns, ids)
        ran = Ran([])
        saved: dict[str, Saved] = {}
        queued: list[dict[str, Any]] = []
        for turn in turns:
            cid = turn.conversation_id
            state = states.get(cid)
            if cid in ran.left or (state is None and turn.existing_only):
                ran.results.append(None)
                continue
            if state is None:
                state = self.engine.new_state(source=turn.source)
            try:
                result = turn.step(state, env)
                if forgets(result):
                    ran.left.append(cid)  # what the sinks read for the run is stale
                    if cid in saved:
                        ran.results.append(None)
                        continue
                    await self._forget(session, cid)
                    ran.forgotten.append(cid)
                    finished(result)
                else:
                    ctx = Context(cid, turn.channel, result.state, now, batch=batch)
                    await self._record(session, ctx, result, turn.sinks)
            except Exception as error:
                if unreachable(error):
                    raise
                raise TurnFailed(cid, error) from error
            ran.results.append(result)
            if cid not in ran.forgotten:
                states[cid] = result.state
                versions[cid] = versions.get(cid, 0) + 1
                earlier = saved[cid].address if cid in saved else None
                address = turn.address or earlier
                saved[cid] = Saved(cid, turn.channel, result.state, versions[cid], address)
            to = self._address(turn, stored.get(cid), result)
            if to is not None and result.messages:
                queued += outbox.rows(turn.channel, cid, to, result.messages, now, self.sealer)
        await conversations.save(session, saved.values(), now)
        await outbox.add_rows(session, queued)
        ran.queued = list(dict.fromkeys(row["channel"] for row in queued))
        if finishing is not None:
            await finishing(session, ran)
        await batch.finish(session)
        return ran

    async def one(self, turn: Turn, *, session: AsyncSession | None = None) -> Result | None:
        """One turn, a batch of one: in `session`'s transaction when given (the caller's own
        writes go with it), else in a new one. Raises what the step or a sink raised."""
        if session is None:
            async with self.sessions() as own, own.begin():
                return await self.one(turn, session=own)
        try:
            ran = await self.run(session, [turn])
        except TurnFailed as failure:
            raise failure.error from None
        return ran.results[0]

    async def _prepare(
        self, session: AsyncSession, turns: Sequence[Turn], ids: Sequence[str]
    ) -> Batch:
        """What the turns' sinks read once for all of their conversations."""
        batch = Batch()
        sinks: dict[int, EventSink] = {}
        for turn in turns:
            for sink in self.sinks if turn.sinks is None else turn.sinks:
                sinks.setdefault(id(sink), sink)
        for sink in sinks.values():
            if isinstance(sink, Preparing):
                await sink.prepare(session, batch, ids)
        return batch

    async def _record(
        self,
        session: AsyncSession,
        ctx: Context,
        result: Result,
        sinks: Sequence[EventSink] | None,
    ) -> None:
        """The sinks record the step's events (they may update state.marks), their notices join
        the reply, and the channel finishes it (SMS: pages it, notices included)."""
        for sink in self.sinks if sinks is None else sinks:
            await sink.record(session, ctx, result.events)
        if ctx.notices:
            result.messages = joined(result.messages, ctx.notices)
        if ctx.history:
            result.messages = [*ctx.history, *result.messages]
        finished(result)

    async def _forget(self, session: AsyncSession, conversation_id: str) -> None:
        """'Forget me': the conversation, what every sink keeps of it, its queued replies."""
        for sink in self.sinks:
            if isinstance(sink, Forgetting):
                await sink.forget(session, conversation_id)
        await conversations.delete_many(session, [conversation_id])
        await outbox.forget(session, conversation_id)

    @staticmethod
    def _address(turn: Turn, stored: Stored | None, result: Result) -> str | None:
        """Where this turn's replies go (sealed), if anywhere."""
        if turn.address is not None or not turn.to_stored_address:
            return turn.address
        if stored is None or stored.blocked or OPTED_OUT in result.state.marks:
            return None
        return stored.address


def replying(engine: Engine, incoming: Incoming) -> Step:
    """The step of a message from the user."""

    def reply(state: State, env: Environment) -> Result:
        return engine.handle(state, incoming, env)

    return reply


def greeting(engine: Engine, lang: str | None = None) -> Step:
    """The step that opens (or resumes) a conversation without a message: the language
    question, the menu, or where the user left off. `lang` sets the language as if the user had
    chosen it."""

    def opening(state: State, env: Environment) -> Result:
        if lang is not None:
            state.lang = lang
        return engine.greeting(state, env)

    return opening


def forgetting(state: State, env: Environment) -> Result:
    """The step of 'forget me' asked for outside a conversation (the engine answers it inside
    one)."""
    return Result(State(), [], [ForgetRequested()])
