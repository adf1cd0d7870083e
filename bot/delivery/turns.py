"""From accepted updates to conversation turns: claim them, have the turn pipeline
(`pipeline.py`) run them (states, sinks, replies in the outbox) and mark them processed, all
in one transaction, so a crash at any point either redoes the whole turn or finds it done.

`batch` claims many updates of many conversations; `handle` claims one, a batch of one: both go
through `_process`, the same code. What a batch does not take on (a user blocking the bot, or
"forget me", after other updates of their conversation in it) ends that conversation's part of
the batch; the worker then processes the rest of it one update at a time with `handle`, which is
also what isolates a failing update: a turn that raises in a batch rolls the batch back, which is
then done again without that conversation, left to `handle` to retry and count its tries."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import DEFAULT_LANGUAGE, LANGUAGES
from bot.conversation import Step
from bot.delivery import inbox
from bot.delivery.inbound import BLOCKED, MESSAGE, START, UNBLOCKED, Body
from bot.delivery.pipeline import Pipeline, Ran, Turn, TurnFailed
from bot.delivery.tables import InboxItem
from bot.engine.engine import Result
from bot.engine.environment import Environment
from bot.engine.messages import Incoming, Outgoing
from bot.engine.state import State
from bot.storage.conversations import as_utc, set_blocked

log = logging.getLogger(__name__)

FLOOD_LIMIT = 10
FLOOD_WINDOW = dt.timedelta(seconds=10)
"""At most FLOOD_LIMIT messages of one conversation within FLOOD_WINDOW are answered one by one
(a person tapping through menus sends one every second or two; an album of ten photos is ten)."""
TOO_FAST = "common.too_fast"
FAILED_TURNS = 8
"""Conversations one batch leaves out after their turn raised, at most; past that, something
wider than one update is wrong and the batch fails (the worker goes one update at a time)."""
ACKS_AT_ONCE = 16
"""Acknowledgements of a batch's updates in flight at once (each is a request to the platform)."""

Acknowledge = Callable[[str], Awaitable[None]]
"""A channel's way to acknowledge an update once processed (answerCallbackQuery)."""
Shaper = Callable[[Step, Body], Step]
"""What a channel adds around the engine's step (SMS: opt-out words, paging)."""


class Turns:
    def __init__(
        self,
        pipeline: Pipeline,
        sessions: async_sessionmaker[Any],
        *,
        on_queued: Callable[[str], None] = lambda channel: None,
        on_committed: Callable[[], None] = lambda: None,
        acknowledgers: Mapping[str, Acknowledge] | None = None,
        shapers: Mapping[str, Shaper] | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.pipeline = pipeline
        self.sessions = sessions
        self.on_queued = on_queued
        self.on_committed = on_committed
        self.acknowledgers = dict(acknowledgers or {})
        self.shapers = dict(shapers or {})
        self.clock = clock

    async def handle(self, item_id: int) -> bool:
        """Process one inbox item, a batch of one (a no-op when another worker already did).
        False when another process is processing it right now (PostgreSQL: its row is
        locked): try again later. Raises what its turn raised."""
        async with self.sessions() as session, session.begin():
            item = await inbox.claim_one(session, item_id)
            if item is None:
                return await session.get(InboxItem, item_id) is None
            if item is inbox.DONE:
                return True
            assert isinstance(item, inbox.Claimed)
            try:
                processed = await self._process(session, [item])
            except TurnFailed as failure:
                raise failure.error from None
        await self._after(processed)
        return True

    async def batch(self, limit: int, exclude: Collection[str] = ()) -> Outcome:
        """Process up to `limit` of the oldest pending updates in one transaction (see the
        module's docstring); conversations resting after a failure are left alone. When one
        update's turn raises, the batch is done again without its conversation, which is
        returned among `deferred` (one bad message never fails the others beside it)."""
        failed: list[str] = []
        while True:
            try:
                outcome = await self._batch(limit, [*exclude, *failed])
            except TurnFailed as failure:
                if len(failed) >= FAILED_TURNS:
                    raise failure.error from None
                failed.append(failure.conversation_id)
                continue
            outcome.deferred[:0] = failed
            return outcome

    async def _batch(self, limit: int, exclude: Collection[str]) -> Outcome:
        async with self.sessions() as session, session.begin():
            items = await inbox.claim(session, limit, exclude)
            if not items:
                return Outcome()
            processed = await self._process(session, items)
        await self._after(processed)
        return processed.outcome

    async def _process(self, session: AsyncSession, items: Sequence[inbox.Claimed]) -> _Processed:
        """The claimed updates' turns, run by the pipeline in this transaction, and the updates
        marked processed. A block (or unblock) is applied as its conversation's first update
        here; after turns of its conversation it ends the conversation's part (the rest is left
        pending, `deferred`), as does what the pipeline leaves ('forget me')."""
        processed = _Processed(Outcome(taken=len(items)))
        cids = list(dict.fromkeys(item.conversation_id for item in items))
        since = min(as_utc(item.received_at) for item in items) - FLOOD_WINDOW
        recent = await inbox.recent(session, cids, since)
        stop: dict[str, int] = {}
        """Per conversation, its first update left pending: it and the later ones wait."""
        turning: list[tuple[inbox.Claimed, Turn]] = []
        turned: set[str] = set()
        for item in items:
            cid, body = item.conversation_id, item.body
            if cid in stop:
                continue
            kind = body.kind
            if kind in (BLOCKED, UNBLOCKED):
                if cid in turned:
                    stop[cid] = item.id
                else:
                    await set_blocked(session, cid, kind == BLOCKED)
            elif kind in (MESSAGE, START):
                earlier = 0
                if kind == MESSAGE:
                    earlier = count_earlier(recent.get(cid, []), item.id, item.received_at)
                step = self._turn(item.channel, kind, body, earlier)
                turning.append((item, Turn(cid, item.channel, step, body.source, item.address)))
                turned.add(cid)

        async def finishing(session: AsyncSession, ran: Ran) -> None:
            for (item, _), result in zip(turning, ran.results, strict=True):
                if result is None:
                    cid = item.conversation_id
                    stop[cid] = min(stop.get(cid, item.id), item.id)
            processed.done = [
                item for item in items if item.id < stop.get(item.conversation_id, item.id + 1)
            ]
            done = [item.id for item in processed.done]
            await inbox.mark_many_done(session, done, self.clock())
            for cid in ran.forgotten:  # its updates, the one that asked too: unlinked
                await inbox.forget(session, cid)
            processed.queued = ran.queued

        await self.pipeline.run(session, [turn for _, turn in turning], finishing=finishing)
        processed.outcome.done = len(processed.done)
        processed.outcome.deferred.extend(stop)
        return processed

    async def _after(self, processed: _Processed) -> None:
        """After the commit: the console, the channels' senders and the platform are told."""
        if processed.outcome.done:
            self.on_committed()
        for channel in processed.queued:
            self.on_queued(channel)
        acks = [(item.channel, item.body.ack) for item in processed.done]
        await self._acknowledge([(channel, ack) for channel, ack in acks if ack])

    async def _acknowledge(self, acks: Sequence[tuple[str, str]]) -> None:
        """Answer the platform for processed updates that ask for it (answerCallbackQuery)."""

        slots = asyncio.Semaphore(ACKS_AT_ONCE)

        async def one(channel: str, ack: str) -> None:
            try:
                async with slots:
                    await self.acknowledgers[channel](ack)
            except Exception:  # the spinner on a button stops by itself; nothing is lost
                log.info("could not acknowledge a %s update", channel)

        await asyncio.gather(*(one(c, a) for c, a in acks if c in self.acknowledgers))

    def _turn(self, channel: str, kind: str, body: Body, earlier: int) -> Step:
        """The step for one update: the engine's, throttled, with what its channel adds."""
        step = self._step(kind, body)
        if kind == MESSAGE:
            step = self._throttled(step, earlier, body.lang_hint)
        if channel in self.shapers:
            step = self.shapers[channel](step, body)
        return step

    def _throttled(self, step: Step, earlier: int, hint: str | None) -> Step:
        """A conversation sending more than FLOOD_LIMIT messages within FLOOD_WINDOW is not
        answered message by message: the first one over the limit gets one notice, the rest
        none, until it slows down. Counted from the inbox, so it holds across processes, and it
        costs the flooder only their own replies: others are processed beside them as before.
        While an operator has the conversation everything still reaches them."""
        over = earlier - FLOOD_LIMIT + 1
        if over <= 0:
            return step
        engine = self.pipeline.engine

        def slow_down(state: State, env: Environment) -> Result:
            if state.live:
                return step(state, env)
            # before a language is chosen: the app's language, else the engine's own fallback
            lang = state.lang or (hint if hint in LANGUAGES else DEFAULT_LANGUAGE)
            notice = [Outgoing(engine.texts.render(lang, TOO_FAST))] if over == 1 else []
            return Result(state, notice, [])

        return slow_down

    def _step(self, kind: str, body: Body) -> Step:
        def message(state: State, env: Environment) -> Result:
            incoming = Incoming(body.text, body.choice, body.lang_hint)
            return self.pipeline.engine.handle(state, incoming, env)

        def start(state: State, env: Environment) -> Result:
            return self.pipeline.engine.start(
                state, lang=body.lang, lang_hint=body.lang_hint, env=env
            )

        return start if kind == START else message


@dataclass
class Outcome:
    """What one batch did."""

    taken: int = 0
    """Updates it found to process."""
    done: int = 0
    """Updates it processed."""
    deferred: list[str] = field(default_factory=list)
    """Conversations whose next update it left to `handle` (see the module's docstring),
    among them those whose turn raised."""


def count_earlier(
    recent: Sequence[tuple[int, dt.datetime]], item_id: int, received_at: dt.datetime
) -> int:
    """How many updates the conversation sent within FLOOD_WINDOW before this one, from its
    recent updates read beforehand (`inbox.recent`)."""
    after = as_utc(received_at) - FLOOD_WINDOW
    return sum(1 for other, at in recent if other < item_id and at > after)


@dataclass
class _Processed:
    """What a transaction of `_process` did, for what follows its commit."""

    outcome: Outcome
    done: list[inbox.Claimed] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)
    """Channels with replies queued."""
