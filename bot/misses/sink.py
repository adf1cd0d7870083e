"""Taking the texts the engine could not place into the misses log, inside each turn's
transaction. Only the scrubbed text, the day, the language and what the bot did are written:
the conversation, its channel and the time of day never reach the table."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import LANGUAGES
from bot.conversation import Batch, Context, EventSink
from bot.engine.messages import Event, MatchUnsure, NotUnderstood
from bot.misses.scrub import scrub
from bot.misses.tables import NOT_UNDERSTOOD, UNKNOWN_LANG, UNSURE, MissedMessage
from bot.settings import Settings
from bot.stats.counters import ONE, Tally, bump, local_day


class MissesSink:
    """The EventSink of the misses log; days are the hotline's (`zone`)."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone

    async def prepare(
        self, session: AsyncSession, batch: Batch, conversation_ids: Collection[str]
    ) -> None:
        """Before a batch of turns: its texts are summed and written once at the end, in a fixed
        order (as the statistics are)."""
        tally = Tally()
        batch.parts[self] = tally
        batch.on_finish(tally.flush)

    async def record(self, session: AsyncSession, ctx: Context, events: Sequence[Event]) -> None:
        tally: Tally | None = ctx.batch.parts.get(self) if ctx.batch is not None else None
        for event in events:
            if isinstance(event, NotUnderstood):
                kind = NOT_UNDERSTOOD
            elif isinstance(event, MatchUnsure):
                kind = UNSURE
            else:
                continue
            text = scrub(event.text)
            if not text:
                continue
            lang = event.lang if event.lang in LANGUAGES else UNKNOWN_LANG
            keys = {"day": local_day(ctx.now, self.zone), "lang": lang, "kind": kind, "text": text}
            if tally is not None:
                tally.add(MissedMessage, keys, ONE)
            else:
                await bump(session, MissedMessage, keys, ONE)


def misses_sinks(settings: Settings) -> list[EventSink]:
    """The misses log's sink, or none when MISSES_LOG is off."""
    return [MissesSink(ZoneInfo(settings.hotline.timezone))] if settings.misses_log else []
