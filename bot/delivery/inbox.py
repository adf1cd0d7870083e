"""Intake: an update is answered "accepted" only once it is committed here; a redelivered one
(same channel and external id) is recognised and not stored again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.inbound import IGNORE, Inbound
from bot.delivery.tables import InboxItem
from bot.storage.pseudonym import pseudonym
from bot.storage.sealed import Sealer

KEEP_DONE = dt.timedelta(days=2)
"""How long a processed update's id is remembered: platforms redeliver for at most a day."""


class Intake:
    def __init__(
        self,
        sessions: async_sessionmaker[Any],
        secret: bytes,
        *,
        on_accept: Callable[[], None] = lambda: None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.sessions = sessions
        self.secret = secret
        self.sealer = Sealer(secret)
        self.on_accept = on_accept
        self.clock = clock

    async def accept(self, inbound: Inbound) -> bool:
        """Store the update durably; False when it was already there. Database errors propagate
        (the caller answers 503 so the platform retries)."""
        now = self.clock()
        ignore = inbound.kind == IGNORE or inbound.user_id is None
        values: dict[str, Any] = {
            "channel": inbound.channel,
            "external_id": inbound.external_id[:64],
            "received_at": now,
            "attempts": 0,
        }
        if ignore:
            values["done_at"] = now
        else:
            assert inbound.user_id is not None
            values["conversation_id"] = pseudonym(self.secret, inbound.channel, inbound.user_id)
            values["address"] = self.sealer.seal(inbound.address) if inbound.address else None
            values["body"] = inbound.body()
        async with self.sessions() as session, session.begin():
            dialect = session.get_bind().dialect.name
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            statement = (
                insert(InboxItem)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["channel", "external_id"])
            )
            result = await session.execute(statement)
            added = bool(getattr(result, "rowcount", 0))
        if added and not ignore:
            self.on_accept()
        return added


async def pending_conversations(session: AsyncSession, limit: int) -> list[str]:
    """Conversations with unprocessed updates, the longest waiting first."""
    rows = await session.execute(
        select(InboxItem.conversation_id)
        .where(InboxItem.done_at.is_(None), InboxItem.conversation_id.is_not(None))
        .order_by(InboxItem.id)
        .limit(limit * 20)
    )
    seen: dict[str, None] = {}
    for (cid,) in rows:
        if cid is not None:
            seen.setdefault(cid, None)
    return list(seen)[:limit]


async def next_pending(session: AsyncSession, conversation_id: str) -> int | None:
    row = await session.execute(
        select(InboxItem.id)
        .where(InboxItem.conversation_id == conversation_id, InboxItem.done_at.is_(None))
        .order_by(InboxItem.id)
        .limit(1)
    )
    return row.scalar_one_or_none()


def mark_done(item: InboxItem, now: dt.datetime) -> None:
    """Processed: what the user wrote and where they are go; the id stays for deduplication."""
    item.done_at, item.body, item.address = now, None, None


async def forget(session: AsyncSession, conversation_id: str) -> None:
    """Unlink processed updates from a conversation whose user asked to be forgotten."""
    await session.execute(
        update(InboxItem)
        .where(InboxItem.conversation_id == conversation_id, InboxItem.done_at.is_not(None))
        .values(conversation_id=None, body=None, address=None)
    )


async def purge_done(session: AsyncSession, now: dt.datetime) -> int:
    result = await session.execute(delete(InboxItem).where(InboxItem.done_at < now - KEEP_DONE))
    return int(getattr(result, "rowcount", 0) or 0)
