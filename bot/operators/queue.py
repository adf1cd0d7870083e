"""The handover queue: requests for a human, in the order operators should take them.

Urgent requests come first, then the longest waiting. An operator sees only requests in their
languages. Taking one is a single conditional UPDATE (`status = 'queued'` in its WHERE clause), so
of two operators pressing "take" at once exactly one wins, on SQLite and PostgreSQL alike. All
functions work inside the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.operators.tables import (
    CLOSED,
    EVENT,
    QUEUED,
    TAKEN,
    Handover,
    HandoverLine,
)
from bot.storage.chunks import among, chunks
from bot.storage.conversations import as_utc
from bot.storage.pseudonym import short_tag
from bot.storage.sealed import Sealer
from bot.storage.tables import Conversation

OPEN = (QUEUED, TAKEN)
QUEUE_ORDER = (case((Handover.urgent, 0), else_=1), Handover.requested_at, Handover.id)


async def open_for(session: AsyncSession, conversation_id: str) -> Handover | None:
    """The conversation's handover that is waiting or taken, if any."""
    row: Handover | None = await session.scalar(
        select(Handover).where(
            Handover.conversation_id == conversation_id, Handover.status.in_(OPEN)
        )
    )
    return row


async def open_for_many(
    session: AsyncSession, conversation_ids: Collection[str]
) -> dict[str, Handover]:
    """The open handovers of these conversations (those with none are absent)."""
    found: dict[str, Handover] = {}
    for part in chunks(conversation_ids):
        rows = await session.scalars(
            select(Handover).where(
                among(session, Handover.conversation_id, part),
                Handover.status.in_(OPEN),
            )
        )
        found.update((row.conversation_id, row) for row in rows)
    return found


async def request(
    session: AsyncSession,
    row: Handover | None,
    *,
    conversation_id: str,
    channel: str,
    lang: str,
    urgent: bool,
    reason: str,
    context: dict[str, Any],
    now: dt.datetime,
) -> Handover:
    """Queue a request for a human, or update `row`, the conversation's open one (a request
    made urgent stays so)."""
    if row is not None:
        if urgent and not row.urgent:
            row.urgent = True
            add_event(session, row, "urgent", now)
        row.context, row.lang, row.updated_at = context, lang, now
        return row
    row = Handover(
        conversation_id=conversation_id,
        channel=channel,
        lang=lang,
        tag=short_tag(conversation_id),
        status=QUEUED,
        urgent=urgent,
        reason=reason,
        context=context,
        requested_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    add_event(session, row, f"requested:{reason}", now)
    return row


async def position(session: AsyncSession, row: Handover) -> int:
    """Where a waiting request stands among those in its language (1 = next to be taken)."""
    requested = as_utc(row.requested_at)
    earlier = and_(
        Handover.urgent == row.urgent,
        or_(
            Handover.requested_at < requested,
            and_(Handover.requested_at == requested, Handover.id < row.id),
        ),
    )
    ahead_of_it = earlier if row.urgent else or_(Handover.urgent, earlier)
    ahead = await session.scalar(
        select(func.count())
        .select_from(Handover)
        .where(
            Handover.status == QUEUED,
            Handover.lang == row.lang,
            Handover.id != row.id,
            ahead_of_it,
        )
    )
    return int(ahead or 0) + 1


async def waiting(session: AsyncSession, langs: Sequence[str], limit: int = 200) -> list[Handover]:
    """Requests nobody has taken, in the operator's languages, in the order to take them."""
    rows = await session.scalars(
        select(Handover)
        .where(Handover.status == QUEUED, Handover.lang.in_(list(langs)))
        .order_by(*QUEUE_ORDER)
        .limit(limit)
    )
    return list(rows)


async def taken_by(session: AsyncSession, operator_id: int) -> list[Handover]:
    rows = await session.scalars(
        select(Handover)
        .where(Handover.status == TAKEN, Handover.operator_id == operator_id)
        .order_by(*QUEUE_ORDER)
    )
    return list(rows)


async def take(
    session: AsyncSession,
    handover_id: int,
    operator_id: int,
    langs: Sequence[str],
    now: dt.datetime,
) -> bool:
    """Give a waiting request to this operator; False when someone else was first, it is no
    longer waiting, or it is not in the operator's languages."""
    result = await session.execute(
        update(Handover)
        .where(
            Handover.id == handover_id,
            Handover.status == QUEUED,
            Handover.lang.in_(list(langs)),
        )
        .values(status=TAKEN, operator_id=operator_id, taken_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return False
    session.add(HandoverLine(handover_id=handover_id, kind=EVENT, body="taken", at=now))
    return True


async def release(session: AsyncSession, row: Handover, event: str, now: dt.datetime) -> None:
    """Put a taken request back at its place in the queue (its original waiting time counts)."""
    row.status, row.operator_id, row.taken_at, row.updated_at = QUEUED, None, None, now
    add_event(session, row, event, now)


async def close(
    session: AsyncSession, row: Handover, outcome: str, event: str, now: dt.datetime
) -> None:
    row.status, row.outcome, row.closed_at, row.updated_at = CLOSED, outcome, now, now
    row.waiting_since = None
    add_event(session, row, event, now)


def add_event(session: AsyncSession, row: Handover, code: str, now: dt.datetime) -> None:
    session.add(HandoverLine(handover_id=row.id, kind=EVENT, body=code, at=now))


def add_words(
    session: AsyncSession,
    row: Handover,
    kind: str,
    text: str,
    sealer: Sealer,
    now: dt.datetime,
    operator_id: int | None = None,
) -> HandoverLine:
    """A line someone wrote, sealed: the database never holds it in clear."""
    line = HandoverLine(
        handover_id=row.id,
        kind=kind,
        operator_id=operator_id,
        body=sealer.seal(text),
        at=now,
    )
    session.add(line)
    return line


def line_ref(line: HandoverLine) -> str:
    """The reference a line's words carry to the user (see Outgoing.ref); the line is flushed."""
    return f"line-{line.id}"


async def lines(session: AsyncSession, handover_id: int, after: int = 0) -> list[HandoverLine]:
    rows = await session.scalars(
        select(HandoverLine)
        .where(HandoverLine.handover_id == handover_id, HandoverLine.id > after)
        .order_by(HandoverLine.id)
    )
    return list(rows)


async def unanswered(
    session: AsyncSession, now: dt.datetime, timeout: dt.timedelta
) -> list[Handover]:
    """Taken requests whose user has waited longer than `timeout` for the operator's answer,
    locked for the caller's transaction; rows another process is returning are skipped."""
    rows = await session.scalars(
        select(Handover)
        .where(
            Handover.status == TAKEN,
            Handover.waiting_since.is_not(None),
            Handover.waiting_since < now - timeout,
            Handover.taken_at < now - timeout,
        )
        .with_for_update(skip_locked=True)
    )
    return list(rows)


async def purge(session: AsyncSession, now: dt.datetime, retention: dt.timedelta) -> int:
    """Delete handovers (and their transcripts) closed longer than `retention` ago, and open ones
    whose conversation is gone (expired or forgotten). Returns how many."""
    gone = select(Conversation.id)
    result = await session.execute(
        delete(Handover).where(
            or_(
                and_(Handover.status == CLOSED, Handover.closed_at < now - retention),
                and_(Handover.status.in_(OPEN), Handover.conversation_id.not_in(gone)),
            )
        )
    )
    await session.execute(
        delete(HandoverLine).where(HandoverLine.handover_id.not_in(select(Handover.id)))
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def forget(session: AsyncSession, conversation_id: str) -> None:
    """'Forget me': every handover of the conversation and its transcript."""
    ids = select(Handover.id).where(Handover.conversation_id == conversation_id)
    await session.execute(delete(HandoverLine).where(HandoverLine.handover_id.in_(ids)))
    await session.execute(delete(Handover).where(Handover.conversation_id == conversation_id))
