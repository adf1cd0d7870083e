"""The replies kept for a web visitor with no page open: at most MAX_WAITING.

A reply to the web chat is delivered only to an open page; for a visitor with none it waits in
the outbox until one opens. A script posting without reading its replies would make them pile
up without end. Once MAX_WAITING wait for a visitor who has no
page open, their next message is refused (429) instead of processed. This rather than dropping
the oldest replies: nothing already answered is lost (a person back after a while reads all of
it), the refused sender knows at once (the page retries a 429 by itself), and no turn, outbox
row or counter is spent on a visitor who is not reading.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.channels.web.transport import CHANNEL
from bot.delivery.tables import PENDING, OutboxItem

MAX_WAITING = 10
"""Replies kept for a visitor with no page open (a conversation's turn gives one to three)."""


async def full(sessions: async_sessionmaker[Any], conversation_id: str) -> bool:
    """Whether MAX_WAITING replies already wait for this conversation (counted no further)."""
    waiting = (
        select(OutboxItem.id)
        .where(
            OutboxItem.channel == CHANNEL,
            OutboxItem.conversation_id == conversation_id,
            OutboxItem.status == PENDING,
        )
        .limit(MAX_WAITING)
        .subquery()
    )
    async with sessions() as session:
        count = await session.scalar(select(func.count()).select_from(waiting))
    return int(count or 0) >= MAX_WAITING
