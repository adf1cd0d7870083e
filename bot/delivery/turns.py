"""From an accepted update to a conversation turn: run the engine on the conversation, queue the
replies in the outbox and mark the update processed, all in one transaction, so a crash at any
point either redoes the whole turn or finds it done."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import LANGUAGES
from bot.conversation import ConversationService, Step
from bot.delivery import inbox, outbox
from bot.delivery.inbound import BLOCKED, MESSAGE, START, UNBLOCKED
from bot.delivery.tables import InboxItem
from bot.engine.engine import Result
from bot.engine.messages import ForgetRequested, Incoming, Outgoing
from bot.engine.state import State
from bot.storage.conversations import as_utc, set_blocked

log = logging.getLogger(__name__)

FLOOD_LIMIT = 10
FLOOD_WINDOW = dt.timedelta(seconds=10)
"""At most FLOOD_LIMIT messages of one conversation within FLOOD_WINDOW are answered one by one
(a person tapping through menus sends one every second or two; an album of ten photos is ten)."""
TOO_FAST = "common.too_fast"

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
    ) -> None:
        self.service = service
        self.sessions = sessions
        self.on_queued = on_queued
        self.on_committed = on_committed
        self.acknowledgers = dict(acknowledgers or {})
        self.shapers = dict(shapers or {})
        self.clock = clock

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
                step = self._step(kind, body)
                if kind == MESSAGE:
                    step = await self._throttled(session, item, step, body.get("lang_hint"))
                if item.channel in self.shapers:
                    step = self.shapers[item.channel](step, body)
                result = await self.service.run(
                    cid,
                    item.channel,
                    step,
                    source=body.get("source"),
                    address=item.address,
                    session=session,
                )
                if any(isinstance(e, ForgetRequested) for e in result.events):
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
                    )
                    queued = True
            if body.get("ack"):
                ack = (item.channel, str(body["ack"]))
            inbox.mark_done(item, self.clock())
        self.on_committed()
        if queued:
            self.on_queued(item.channel)
        if ack is not None and ack[0] in self.acknowledgers:
            try:
                await self.acknowledgers[ack[0]](ack[1])
            except Exception:  # the spinner on a button stops by itself; nothing is lost
                log.info("could not acknowledge a %s update", ack[0])
        return True

    async def _throttled(
        self, session: AsyncSession, item: InboxItem, step: Step, hint: str | None
    ) -> Step:
        """A conversation sending more than FLOOD_LIMIT messages within FLOOD_WINDOW is not
        answered message by message: the first one over the limit gets one notice, the rest
        none, until it slows down. Counted from the inbox, so it holds across processes, and it
        costs the flooder only their own replies: others are processed beside them as before.
        While an operator has the conversation everything still reaches them."""
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
        over = int(earlier or 0) - FLOOD_LIMIT + 1
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
