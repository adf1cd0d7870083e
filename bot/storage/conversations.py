"""Reading and writing conversation state, with expiry of idle conversations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.state import State
from bot.storage.chunks import among, chunks
from bot.storage.tables import Conversation


def as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


async def load(
    session: AsyncSession, conversation_id: str, *, now: dt.datetime, ttl: dt.timedelta
) -> tuple[Conversation | None, State | None]:
    """The row (locked for this transaction where the database can) and its state; an expired
    conversation is deleted and reported as absent."""
    row = await session.get(Conversation, conversation_id, with_for_update=True)
    if row is None:
        return None, None
    if as_utc(row.updated_at) < now - ttl:
        await session.delete(row)
        await session.flush()
        return None, None
    return row, State.from_json(dict(row.state))


async def load_many(
    session: AsyncSession, conversation_ids: Collection[str], *, now: dt.datetime, ttl: dt.timedelta
) -> dict[str, tuple[Conversation, State]]:
    """`load` for many conversations at once: those found and not expired (expired ones are
    deleted), locked for this transaction where the database can."""
    found: dict[str, tuple[Conversation, State]] = {}
    expired = False
    for part in chunks(conversation_ids):
        rows = await session.scalars(
            select(Conversation).where(among(session, Conversation.id, part)).with_for_update()
        )
        for row in rows:
            if as_utc(row.updated_at) < now - ttl:
                await session.delete(row)
                expired = True
            else:
                found[row.id] = (row, State.from_json(dict(row.state)))
    if expired:
        await session.flush()
    return found


def save(
    session: AsyncSession,
    row: Conversation | None,
    conversation_id: str,
    channel: str,
    state: State,
    now: dt.datetime,
) -> Conversation:
    if row is None:
        row = Conversation(id=conversation_id, channel=channel, version=0, created_at=now, state={})
        session.add(row)
    row.state = state.to_json()
    row.lang = state.lang
    row.updated_at = now
    row.version = (row.version or 0) + 1
    return row


async def purge_expired(session: AsyncSession, *, now: dt.datetime, ttl: dt.timedelta) -> int:
    """Delete every conversation idle for longer than `ttl`; returns how many."""
    result = await session.execute(delete(Conversation).where(Conversation.updated_at < now - ttl))
    return int(getattr(result, "rowcount", 0) or 0)


async def set_blocked(session: AsyncSession, conversation_id: str, blocked: bool) -> None:
    """Mark that the user blocked the bot (or opted out), or came back."""
    await session.execute(
        update(Conversation).where(Conversation.id == conversation_id).values(blocked=blocked)
    )
