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


@dataclass(frozen=True)
class Stored:
    """A conversation as `load` finds it."""

    version: int
    state: State
    address: str | None
    """Where replies go, sealed."""
    blocked: bool
    """The user blocked the bot or opted out: nothing is sent until they write again."""


@dataclass
class Saved:
    """What `save` writes of one conversation once its turns are done."""

    id: str
    channel: str
    state: State
    version: int
    """The version it was read at plus one for each turn."""
    address: str | None = None
    """The sealed address of its latest update, when one came with it."""


async def load(
    session: AsyncSession, conversation_ids: Collection[str], *, now: dt.datetime, ttl: dt.timedelta
) -> dict[str, Stored]:
    """These conversations, found and not expired (expired ones are deleted), their rows locked
    for this transaction where the database can. Plain rows, not ORM objects: they are written
    back with `save`."""
    found: dict[str, Stored] = {}
    expired: list[str] = []
    for part in chunks(conversation_ids):
        rows = await core(
            session,
            select(
                Conversation.id,
                Conversation.state,
                Conversation.version,
                Conversation.updated_at,
                Conversation.address,
                Conversation.blocked,
            )
            .where(among(session, Conversation.id, part))
            .with_for_update(),
        )
        for cid, state, version, updated_at, address, blocked in rows:
            if as_utc(updated_at) < now - ttl:
                expired.append(cid)
            else:
                found[cid] = Stored(
                    version or 0, State.from_json(dict(state)), address, bool(blocked)
                )
    await delete_many(session, expired)
    return found


async def delete_many(session: AsyncSession, conversation_ids: Collection[str]) -> None:
    """Delete these conversations' rows (expired, or 'forget me')."""
    for part in chunks(conversation_ids):
        await core(session, delete(Conversation).where(among(session, Conversation.id, part)))


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
"""The columns `save` writes."""


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


async def save(session: AsyncSession, saved: Collection[Saved], now: dt.datetime) -> None:
    """Store the conversations' new states with one statement: new ones inserted, the others
    updated; an address given replaces the stored one and unblocks (see `_upsert`)."""
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


async def purge_expired(session: AsyncSession, *, now: dt.datetime, ttl: dt.timedelta) -> int:
    """Delete every conversation idle for longer than `ttl`; returns how many."""
    result = await session.execute(delete(Conversation).where(Conversation.updated_at < now - ttl))
    return int(getattr(result, "rowcount", 0) or 0)


async def set_blocked(session: AsyncSession, conversation_id: str, blocked: bool) -> None:
    """Mark that the user blocked the bot (or opted out), or came back."""
    await session.execute(
        update(Conversation).where(Conversation.id == conversation_id).values(blocked=blocked)
    )
