"""The outbox: replies wait here, addressed by a sealed address, until a channel sender has
delivered them; sent messages are deleted, so no text stays after delivery.

A waiting message's body is sealed too (`sealed_body`): an operator's reply to a web visitor
with no page open may wait a day, and a failed one a month, and what it says ("I'll call you
back on +7...") must not be readable in a dump or a backup meanwhile. Only the sender opens it,
just before sending. Rows queued in clear by an earlier version are still read as they are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any, cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.tables import PENDING, OutboxItem
from bot.engine.messages import OptionOut, Outgoing
from bot.storage import jsontext
from bot.storage.chunks import chunks
from bot.storage.many_rows import ManyRows
from bot.storage.sealed import Sealer

SEALED = "sealed"
"""The one key of a sealed body: {"sealed": the clear body's JSON, sealed}."""


def body_of(message: Outgoing) -> dict[str, Any]:
    """The clear body of a message (the shape stored before bodies were sealed)."""
    body: dict[str, Any] = {
        "text": message.text,
        "options": [
            [o.id, o.label, o.number, *([o.sms_label] if o.sms_label else [])]
            for o in message.options
        ],
    }
    if message.sms_text is not None and message.sms_text != message.text:
        body["sms_text"] = message.sms_text
    if message.author is not None:
        body["author"] = message.author
    if message.signature is not None:
        body["signature"] = message.signature
    if message.ref is not None:
        body["ref"] = message.ref
    return body


def sealed_body(message: Outgoing, sealer: Sealer) -> dict[str, Any]:
    return {SEALED: sealer.seal_text(jsontext.dumps(body_of(message)))}


def message_of(body: dict[str, Any], sealer: Sealer) -> Outgoing:
    """The message of a stored body, sealed or (queued before sealing) in clear; raises
    ValueError when it was sealed with another key."""
    if SEALED in body:
        body = jsontext.loads(sealer.open_text(body[SEALED]))
    options = tuple(
        OptionOut(str(i), str(label), int(n), str(short[0]) if short else None)
        for i, label, n, *short in body["options"]
    )
    return Outgoing(
        str(body["text"]),
        options,
        sms_text=body.get("sms_text"),
        author=body.get("author"),
        signature=body.get("signature"),
        ref=body.get("ref"),
    )


def enqueue(
    session: AsyncSession,
    *,
    channel: str,
    conversation_id: str,
    address: str,
    messages: Sequence[Outgoing],
    now: dt.datetime,
    sealer: Sealer,
) -> None:
    """Queue messages in order, inside the caller's transaction. `address` is already sealed;
    the bodies are sealed here."""
    for row in rows(channel, conversation_id, address, messages, now, sealer):
        session.add(OutboxItem(**row))


def rows(
    channel: str,
    conversation_id: str,
    address: str,
    messages: Sequence[Outgoing],
    now: dt.datetime,
    sealer: Sealer,
) -> list[dict[str, Any]]:
    """The outbox rows of messages to one conversation, in order, for `add_rows`; bodies
    sealed."""
    return [
        {
            "channel": channel,
            "conversation_id": conversation_id,
            "address": address,
            "body": sealed_body(message, sealer),
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
    conversation's order); see `bot/storage/many_rows.py`."""
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
