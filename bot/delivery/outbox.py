"""The outbox: replies wait here, addressed by a sealed address, until a channel sender has
delivered them; sent messages are deleted, so no text stays after delivery."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any, cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.tables import PENDING, OutboxItem
from bot.engine.messages import OptionOut, Outgoing
from bot.storage.arrays import ManyRows
from bot.storage.chunks import chunks


def body_of(message: Outgoing) -> dict[str, Any]:
    body: dict[str, Any] = {
        "text": message.text,
        "options": [
            [o.id, o.label, o.number, *([o.sms_label] if o.sms_label else [])]
            for o in message.options
        ],
    }
    if message.sms_text is not None and message.sms_text != message.text:
        body["sms_text"] = message.sms_text
    return body


def message_of(body: dict[str, Any]) -> Outgoing:
    options = tuple(
        OptionOut(str(i), str(label), int(n), str(short[0]) if short else None)
        for i, label, n, *short in body["options"]
    )
    return Outgoing(str(body["text"]), options, sms_text=body.get("sms_text"))


def enqueue(
    session: AsyncSession,
    *,
    channel: str,
    conversation_id: str,
    address: str,
    messages: Sequence[Outgoing],
    now: dt.datetime,
) -> None:
    """Queue messages in order, inside the caller's transaction. `address` is already sealed."""
    for row in rows(channel, conversation_id, address, messages, now):
        session.add(OutboxItem(**row))


def rows(
    channel: str, conversation_id: str, address: str, messages: Sequence[Outgoing], now: dt.datetime
) -> list[dict[str, Any]]:
    """The outbox rows of messages to one conversation, in order, for `add_rows`."""
    return [
        {
            "channel": channel,
            "conversation_id": conversation_id,
            "address": address,
            "body": body_of(message),
            "part": 0,
            "attempts": 0,
            "status": PENDING,
            "not_before": now,
            "created_at": now,
        }
        for message in messages
    ]


_OUTBOX = cast(Table, OutboxItem.__table__)
QUEUED = (
    "channel",
    "conversation_id",
    "address",
    "body",
    "part",
    "attempts",
    "status",
    "not_before",
    "created_at",
)
"""The columns of `rows`."""
QUEUE = ManyRows(_OUTBOX, QUEUED)


async def add_rows(session: AsyncSession, queued: Sequence[dict[str, Any]]) -> None:
    """Queue many messages with one statement, ids in the given order (so in each
    conversation's order); see `bot/storage/arrays.py`."""
    if queued:
        await QUEUE.execute(session, queued)


async def heads(
    session: AsyncSession,
    channel: str,
    limit: int,
    conversations: Collection[str] | None = None,
) -> list[OutboxItem]:
    """The oldest pending message of each conversation (messages of one conversation go in
    order), oldest first; whether each is due yet is the caller's to check. `conversations`
    limits the look to those (a web sender: the visitors with a page open on this process)."""
    if conversations is None:
        return await _heads(session, channel, limit, None)
    found: list[OutboxItem] = []
    for part in chunks(conversations, 1000):
        found += await _heads(session, channel, limit, part)
    return sorted(found, key=lambda item: item.id)[:limit]


async def _heads(
    session: AsyncSession, channel: str, limit: int, conversations: Sequence[str] | None
) -> list[OutboxItem]:
    first = select(func.min(OutboxItem.id)).where(
        OutboxItem.channel == channel, OutboxItem.status == PENDING
    )
    if conversations is not None:
        if not conversations:
            return []
        first = first.where(OutboxItem.conversation_id.in_(conversations))
    first = first.group_by(OutboxItem.conversation_id)
    rows = await session.scalars(
        select(OutboxItem).where(OutboxItem.id.in_(first)).order_by(OutboxItem.id).limit(limit)
    )
    return list(rows)


async def count_pending(session: AsyncSession, channel: str | None = None) -> int:
    query = select(func.count()).select_from(OutboxItem).where(OutboxItem.status == PENDING)
    if channel is not None:
        query = query.where(OutboxItem.channel == channel)
    return int(await session.scalar(query) or 0)


async def forget(session: AsyncSession, conversation_id: str) -> None:
    """Drop everything still queued for a conversation (blocked bot, or 'forget me')."""
    await session.execute(delete(OutboxItem).where(OutboxItem.conversation_id == conversation_id))


async def purge_old(session: AsyncSession, now: dt.datetime, ttl: dt.timedelta) -> int:
    """Delete messages older than the conversation lifetime (failed ones kept for inspection)."""
    result = await session.execute(delete(OutboxItem).where(OutboxItem.created_at < now - ttl))
    return int(getattr(result, "rowcount", 0) or 0)
