"""The conversation's side of a handover, inside each message's transaction.

A request for a human (the user asked, a handover node, danger signs, two misses) opens a
handover in the queue or updates the open one; the user then learns honestly what happens next:
their place in the queue during hotline hours, otherwise when operators are back and the 24-hour
number. While the handover is open, what the user writes goes into its transcript (sealed).
Leaving it (the menu, another language, 'forget me') withdraws the request; coming back (a
/start, a reopened page) never does: the user is told their place again, and a web page that
lost the conversation (reopened without its stored copy) gets the transcript since the handover.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import DEFAULT_LANGUAGE
from bot.conversation import Batch, Context
from bot.engine.engine import Engine
from bot.engine.messages import (
    AUTHOR_USER,
    Event,
    HandoverResumed,
    OperatorRequested,
    Outgoing,
    ToOperator,
)
from bot.engine.state import State
from bot.operators import queue
from bot.operators.hours import Hours
from bot.operators.tables import OPERATOR, QUEUED, USER, Handover, HandoverLine, Operator
from bot.storage.sealed import Sealer

NOT_TEXT = "not_text"
"""The event code of a sticker, photo or voice message sent to the operator."""
TRANSCRIPT_CHANNELS = frozenset({"web"})
"""Channels whose reopened page may have lost what was said (a Telegram or SMS app keeps it)."""
TRANSCRIPT_LINES = 50
"""The latest lines of a transcript shown again, at most."""


class HandoverSink:
    def __init__(
        self,
        engine: Callable[[], Engine],
        hours: Hours,
        sealer: Sealer,
        *,
        transcript_channels: Collection[str] = TRANSCRIPT_CHANNELS,
    ) -> None:
        self.engine = engine
        self.hours = hours
        self.sealer = sealer
        self.transcript_channels = frozenset(transcript_channels)

    async def record(self, session: AsyncSession, ctx: Context, events: Sequence[Event]) -> None:
        state, now = ctx.state, ctx.now
        requests = [e for e in events if isinstance(e, OperatorRequested)]
        words = [e for e in events if isinstance(e, ToOperator)]
        resumed = any(isinstance(e, HandoverResumed) for e in events)
        known: dict[str, Handover | None] | None = None
        if ctx.batch is not None:
            known = ctx.batch.parts.get(self)
        if known is not None:
            row = known.get(ctx.conversation_id)
        else:
            row = await queue.open_for(session, ctx.conversation_id)
        if resumed and row is not None:
            row.lang = state.lang or row.lang  # a link in another language switched it
            if ctx.channel in self.transcript_channels:
                ctx.history.extend(await self._transcript(session, row, state))
            if row.status == QUEUED:
                ctx.notices.append(
                    await self._notice(session, row, state.lang or DEFAULT_LANGUAGE, ctx)
                )
        if resumed and row is None and not requests:  # lost meanwhile: asked again, as it was
            requests = [OperatorRequested(urgent=state.urgent, reason="asked")]
        if requests or (words and row is None):
            reason = requests[-1].reason if requests else "asked"
            urgent = state.urgent or any(e.urgent for e in requests)
            row = await queue.request(
                session,
                row,
                conversation_id=ctx.conversation_id,
                channel=ctx.channel,
                lang=state.lang or DEFAULT_LANGUAGE,
                urgent=urgent,
                reason=reason,
                context={"topics": list(state.topics), "answers": list(state.answers)},
                now=now,
            )
            if requests and row.status == QUEUED:
                ctx.notices.append(
                    await self._notice(session, row, state.lang or DEFAULT_LANGUAGE, ctx)
                )
        if row is None:
            return
        for said in words:
            if said.text is None:
                queue.add_event(session, row, NOT_TEXT, now)
            else:
                queue.add_words(session, row, USER, said.text, self.sealer, now)
            row.waiting_since = row.waiting_since or now
            row.updated_at = now
        if not state.handover and not requests:
            await queue.close(session, row, "user_left", "left", now)
            row = None
        if known is not None:
            known[ctx.conversation_id] = row

    async def prepare(
        self, session: AsyncSession, batch: Batch, conversation_ids: Collection[str]
    ) -> None:
        """Before a batch of turns: their conversations' open handovers, read at once."""
        found: dict[str, Handover | None] = dict(
            await queue.open_for_many(session, conversation_ids)
        )
        batch.parts[self] = found

    async def _notice(
        self, session: AsyncSession, row: Handover, lang: str, ctx: Context
    ) -> Outgoing:
        texts = self.engine().texts
        if self.hours.is_open(ctx.now):
            extra = {"position": str(await queue.position(session, row))}
            key = "operator.queued"
        else:
            back = self.hours.next_opening(ctx.now)
            extra = {"back_at": self.hours.format_back(back, lang) if back else "—"}
            key = "operator.after_hours"
        return Outgoing(
            texts.render(lang, key, extra=extra),
            sms_text=texts.render(lang, key, sms=True, extra=extra),
            key=key,
        )

    async def _transcript(
        self, session: AsyncSession, row: Handover, state: State
    ) -> list[Outgoing]:
        """What the user and operators wrote since the handover, as messages to show again:
        the user's own words marked as theirs, operators' signed as they were sent."""
        lines = [line for line in await queue.lines(session, row.id) if line.kind != "event"]
        lines = lines[-TRANSCRIPT_LINES:]
        names = await self._display_names(session, lines)
        engine = self.engine()
        shown: list[Outgoing] = []
        for line in lines:
            try:
                text = self.sealer.open(line.body)
            except ValueError:  # sealed with an older key: nothing to show
                continue
            ref = queue.line_ref(line)
            if line.kind == USER:
                shown.append(Outgoing(text, author=AUTHOR_USER, ref=ref))
            elif line.kind == OPERATOR:
                name = names.get(line.operator_id) if line.operator_id is not None else None
                signed = engine.from_operator(state, text, name=name)
                shown.append(
                    Outgoing(text, author=signed.author, signature=signed.signature, ref=ref)
                )
        return shown

    async def _display_names(
        self, session: AsyncSession, lines: Sequence[HandoverLine]
    ) -> dict[int, str | None]:
        ids = {line.operator_id for line in lines if line.operator_id is not None}
        if not ids:
            return {}
        rows = await session.execute(
            select(Operator.id, Operator.display_name).where(Operator.id.in_(ids))
        )
        return {operator_id: name for operator_id, name in rows}

    async def forget(self, session: AsyncSession, conversation_id: str) -> None:
        await queue.forget(session, conversation_id)
