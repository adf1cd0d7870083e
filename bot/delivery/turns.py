"""From an accepted update to a conversation turn: run the engine on the conversation, queue the
replies in the outbox and mark the update processed, all in one transaction, so a crash at any
point either redoes the whole turn or finds it done.

Under load, `batch` processes many updates of many conversations in one transaction: their rows,
states and open handovers are read with a few queries, the engine runs turn by turn in memory,
and the new states, replies, counters and done marks are written with a few statements. What a
batch does not take on (a user blocking the bot, "forget me") ends that conversation's part of
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

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import LANGUAGES
from bot.conversation import Context, ConversationService, Step, forgets
from bot.delivery import inbox, outbox
from bot.delivery.inbound import BLOCKED, MESSAGE, START, UNBLOCKED
from bot.delivery.tables import InboxItem
from bot.engine.engine import Result
from bot.engine.messages import Incoming, Outgoing
from bot.engine.state import State
from bot.storage.conversations import Saved, as_utc, load_many, save_many, set_blocked
from bot.storage.sealed import Sealer

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
Shaper = Callable[[Step, dict[str, Any]], Step]
"""What a channel adds around the engine's step (SMS: opt-out words, paging)."""


class Turns:
    def __init__(
        self,
        service: ConversationService,
        sessions: async_sessionmaker[Any],
        *,
        on_queued: Callable[[str], None] = lambda channel: None,
        on_committed: Callable[[], None] = lambda: None,
        acknowledgers: Mapping[str, Acknowledge] | None = None,
        shapers: Mapping[str, Shaper] | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        sealer: Sealer | None = None,
    ) -> None:
        self.service = service
        self.sessions = sessions
        self.on_queued = on_queued
        self.on_committed = on_committed
        self.acknowledgers = dict(acknowledgers or {})
        self.shapers = dict(shapers or {})
        self.clock = clock
        self.sealer = sealer or Sealer(service.secret)  # the outbox's bodies are sealed

    async def handle(self, item_id: int) -> bool:
        """Process one inbox item (a no-op when another worker already did). False when another
        process is processing it right now (PostgreSQL: its row is locked): try again later."""
        ack: tuple[str, str] | None = None
        queued = False
        async with self.sessions() as session, session.begin():
            item = await session.scalar(
                select(InboxItem).where(InboxItem.id == item_id).with_for_update(skip_locked=True)
            )
            if item is None:
                return await session.get(InboxItem, item_id) is None
            if item.done_at is not None:
                return True
            body = dict(item.body or {})
            cid = item.conversation_id
            kind = body.get("kind", MESSAGE)
            if cid is not None and kind in (BLOCKED, UNBLOCKED):
                await set_blocked(session, cid, kind == BLOCKED)
            elif cid is not None and kind in (MESSAGE, START):
                earlier = 0
                if kind == MESSAGE:
                    earlier = await self._earlier(session, item)
                step = self._turn(item.channel, kind, body, earlier)
                result = await self.service.run(
                    cid,
                    item.channel,
                    step,
                    source=body.get("source"),
                    address=item.address,
                    session=session,
                )
                if forgets(result):
                    await outbox.forget(session, cid)
                    await inbox.forget(session, cid)
                    item.conversation_id = None
                if item.address and result.messages:
                    outbox.enqueue(
                        session,
                        channel=item.channel,
                        conversation_id=cid,
                        address=item.address,
                        messages=result.messages,
                        now=self.clock(),
                        sealer=self.sealer,
                    )
                    queued = True
            if body.get("ack"):
                ack = (item.channel, str(body["ack"]))
            inbox.mark_done(item, self.clock())
        self.on_committed()
        if queued:
            self.on_queued(item.channel)
        if ack is not None:
            await self._acknowledge([ack])
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
        outcome = Outcome()
        acks: list[tuple[str, str]] = []
        queued: list[dict[str, Any]] = []
        async with self.sessions() as session, session.begin():
            items = await inbox.claim(session, limit, exclude)
            if not items:
                return outcome
            outcome.taken = len(items)
            service = self.service
            now, marked = service.clock(), self.clock()
            cids = list(dict.fromkeys(item.conversation_id for item in items))
            loaded = await load_many(session, cids, now=now, ttl=service.ttl)
            since = min(as_utc(item.received_at) for item in items) - FLOOD_WINDOW
            recent = await inbox.recent(session, cids, since)
            shared = await service.prepare(session, cids)
            versions = {cid: version for cid, (version, _) in loaded.items()}
            states = {cid: state for cid, (_, state) in loaded.items()}
            saved: dict[str, Saved] = {}
            done: list[int] = []
            for item in items:
                cid, body = item.conversation_id, item.body
                if cid in outcome.deferred:
                    continue
                kind = body.get("kind", MESSAGE)
                if kind in (BLOCKED, UNBLOCKED):
                    outcome.deferred.append(cid)
                    continue
                if kind in (MESSAGE, START):
                    earlier = 0
                    if kind == MESSAGE:
                        earlier = count_earlier(recent.get(cid, []), item.id, item.received_at)
                    step = self._turn(item.channel, kind, body, earlier)
                    state = states.get(cid)
                    if state is None:
                        state = service.engine.new_state(source=body.get("source"))
                    try:
                        result = step(state)
                        if forgets(result):  # deletes more than a batch keeps track of
                            outcome.deferred.append(cid)
                            continue
                        ctx = Context(cid, item.channel, result.state, now, batch=shared)
                        await service.record(session, ctx, result)
                    except Exception as error:
                        if inbox.unreachable(error):
                            raise
                        raise TurnFailed(cid, error) from error
                    states[cid] = result.state
                    versions[cid] = versions.get(cid, 0) + 1
                    earlier_address = saved[cid].address if cid in saved else None
                    saved[cid] = Saved(
                        cid,
                        item.channel,
                        result.state,
                        versions[cid],
                        item.address or earlier_address,
                    )
                    if item.address and result.messages:
                        queued += outbox.rows(
                            item.channel, cid, item.address, result.messages, marked, self.sealer
                        )
                if body.get("ack"):
                    acks.append((item.channel, str(body["ack"])))
                done.append(item.id)
            await save_many(session, saved.values(), now)
            await outbox.add_rows(session, queued)
            await inbox.mark_many_done(session, done, marked)
            # last: the counters' rows are the ones every batch writes, and their locks are
            # held until the commit, so the other lane's batch waits the least
            await shared.finish(session)
        outcome.done = len(done)
        if done:
            self.on_committed()
        for channel in dict.fromkeys(row["channel"] for row in queued):
            self.on_queued(channel)
        await self._acknowledge(acks)
        return outcome

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

    async def _earlier(self, session: AsyncSession, item: InboxItem) -> int:
        """How many updates the conversation sent within FLOOD_WINDOW before this one."""
        assert item.conversation_id is not None
        earlier = await session.scalar(
            select(func.count())
            .select_from(InboxItem)
            .where(
                InboxItem.conversation_id == item.conversation_id,
                InboxItem.id < item.id,
                InboxItem.received_at > as_utc(item.received_at) - FLOOD_WINDOW,
            )
        )
        return int(earlier or 0)

    def _turn(self, channel: str, kind: str, body: dict[str, Any], earlier: int) -> Step:
        """The step for one update: the engine's, throttled, with what its channel adds."""
        step = self._step(kind, body)
        if kind == MESSAGE:
            step = self._throttled(step, earlier, body.get("lang_hint"))
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
        engine = self.service.engine

        def slow_down(state: State) -> Result:
            if state.live:
                return step(state)
            # before a language is chosen: the app's language, else the engine's own fallback
            lang = state.lang or (hint if hint in LANGUAGES else "ru")
            notice = [Outgoing(engine.texts.render(lang, TOO_FAST))] if over == 1 else []
            return Result(state, notice, [])

        return slow_down

    def _step(self, kind: str, body: dict[str, Any]) -> Step:
        def message(state: State) -> Result:
            incoming = Incoming(body.get("text"), body.get("choice"), body.get("lang_hint"))
            return self.service.engine.handle(state, incoming)

        def start(state: State) -> Result:
            return self.service.engine.start(
                state, lang=body.get("lang"), lang_hint=body.get("lang_hint")
            )

        return start if kind == START else message


class TurnFailed(Exception):
    """One update's turn raised inside a batch: the batch is rolled back and done again without
    that conversation."""

    def __init__(self, conversation_id: str, error: Exception) -> None:
        super().__init__(type(error).__name__)
        self.conversation_id = conversation_id
        self.error = error


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
    """`Turns._earlier` from the conversation's recent updates read beforehand."""
    after = as_utc(received_at) - FLOOD_WINDOW
    return sum(1 for other, at in recent if other < item_id and at > after)
