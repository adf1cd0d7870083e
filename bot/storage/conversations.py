"""Reading and writing conversation state, with expiry of idle conversations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, case, delete, false, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.state import State
from bot.storage.chunks import among, chunks
from bot.storage.database import core
from bot.storage.many_rows import ManyRows
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


@dataclass
class Saved:
    """What a batch writes of one conversation once its turns in the batch are done."""

    id: str
    channel: str
    state: State
    version: int
    """The version it was read at plus one for each turn."""
    address: str | None = None
    """The sealed address of its latest update, when one came with it."""


async def load_many(
    session: AsyncSession, conversation_ids: Collection[str], *, now: dt.datetime, ttl: dt.timedelta
) -> dict[str, tuple[int, State]]:
    """(version, state) of these conversations, found and not expired (expired ones are
    deleted), their rows locked for this transaction where the database can. Plain rows, not
    ORM objects: a batch writes them back with `save_many`."""
    found: dict[str, tuple[int, State]] = {}
    expired: list[str] = []
    for part in chunks(conversation_ids):
        rows = await core(
            session,
            select(
                Conversation.id, Conversation.state, Conversation.version, Conversation.updated_at
            )
            .where(among(session, Conversation.id, part))
            .with_for_update(),
        )
        for cid, state, version, updated_at in rows:
            if as_utc(updated_at) < now - ttl:
                expired.append(cid)
            else:
                found[cid] = (version or 0, State.from_json(dict(state)))
    for part in chunks(expired):
        await core(session, delete(Conversation).where(among(session, Conversation.id, part)))
    return found


_TABLE = cast(Table, Conversation.__table__)
SAVED = (
    "id",
    "channel",
    "lang",
    "state",
    "version",
    "created_at",
    "updated_at",
    "address",
    "blocked",
)
"""The columns `save_many` writes."""


def _upsert(statement: Any) -> Any:
    """New conversations inserted; the others take the new state, and an address given
    replaces the stored one and unblocks (they wrote: they can be answered)."""
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[_TABLE.c.id],
        set_={
            "state": new.state,
            "lang": new.lang,
            "version": new.version,
            "updated_at": new.updated_at,
            "address": func.coalesce(new.address, _TABLE.c.address),
            "blocked": case((new.address.is_(None), _TABLE.c.blocked), else_=false()),
        },
    )


SAVE = ManyRows(_TABLE, SAVED, _upsert)


async def save_many(session: AsyncSession, saved: Collection[Saved], now: dt.datetime) -> None:
    """`save` for many conversations with one statement (see `_upsert`)."""
    if not saved:
        return
    rows = [
        {
            "id": one.id,
            "channel": one.channel,
            "lang": one.state.lang,
            "state": one.state.to_json(),
            "version": one.version,
            "created_at": now,
            "updated_at": now,
            "address": one.address,
            "blocked": False,
        }
        for one in sorted(saved, key=lambda one: one.id)  # rows locked in one order
    ]
    await SAVE.execute(session, rows)


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
