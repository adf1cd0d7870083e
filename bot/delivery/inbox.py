"""Intake: an update is answered "accepted" only once it is committed here; a redelivered one
(same channel and external id) is recognised and not stored again."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.campaigns import Campaigns
from bot.delivery.clean import cleaned
from bot.delivery.inbound import IGNORE, Body, Inbound
from bot.delivery.tables import InboxItem
from bot.storage.chunks import among, chunks
from bot.storage.conversations import as_utc
from bot.storage.database import autocommit, core
from bot.storage.many_rows import ManyRows
from bot.storage.pseudonym import pseudonym
from bot.storage.sealed import Sealer

KEEP_DONE = dt.timedelta(days=2)
"""How long a processed update's id is remembered: platforms redeliver for at most a day."""


MAX_BATCH = 200
"""Updates stored by one statement at most."""


class Intake:
    """Updates that arrive together are stored together (group commit): one transaction and
    one INSERT for all of them, and each caller is answered when that transaction committed.
    Under a burst this turns hundreds of small transactions into a few, and the answer to each
    platform still means "stored"."""

    def __init__(
        self,
        sessions: async_sessionmaker[Any],
        secret: bytes,
        *,
        on_accept: Callable[[], None] = lambda: None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        flushes: int = 1,
        campaigns: Campaigns | None = None,
        sealer: Sealer | None = None,
    ) -> None:
        """`sealer`: the process's one Sealer of `secret` (made here when not given).
        `campaigns`: the codes a campaign source may keep (the defaults when None); any
        other is stored as `other`, so a phone number or a name put in a link is never written
        anywhere.
        `flushes`: transactions storing updates at once (1 on SQLite, which writes one at
        a time; on PostgreSQL more, so a request arriving while one commits need not wait for
        it)."""
        self.flushes = flushes
        self.sessions = sessions
        self.secret = secret
        self.sealer = sealer or Sealer(secret)
        self.on_accept = on_accept
        self.clock = clock
        self.campaigns = campaigns or Campaigns()
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[bool]]] = []
        self._flushers: set[asyncio.Task[None]] = set()
        """Kept referenced while they run."""
        self._running = 0
        self._idle = 0
        """Flushers between two batches (they take what arrived meanwhile)."""

    async def accept(self, inbound: Inbound) -> bool:
        """Store the update durably; False when it was already there. Database errors propagate
        (the caller answers 503 so the platform retries). Every text and id in it is made valid
        here, once, for every channel (`bot/delivery/clean.py`)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((self._row(cleaned(inbound)), future))
        if not self._idle and self._running < self.flushes:
            self._running += 1
            flusher = asyncio.create_task(self._flush())
            self._flushers.add(flusher)
            flusher.add_done_callback(self._flushers.discard)
        return await future

    def _row(self, inbound: Inbound) -> dict[str, Any]:
        now = self.clock()
        row: dict[str, Any] = {
            "channel": inbound.channel,
            "external_id": inbound.external_id[:64],
            "conversation_id": None,
            "address": None,
            "body": None,
            "attempts": 0,
            "received_at": now,
            "done_at": None,
        }
        if inbound.kind == IGNORE or inbound.user_id is None:
            row["done_at"] = now  # recorded only so a redelivery is recognised
        else:
            row["conversation_id"] = pseudonym(self.secret, inbound.channel, inbound.user_id)
            row["address"] = self.sealer.seal(inbound.address) if inbound.address else None
            body = inbound.body()
            if body.source is not None:
                body = replace(body, source=self.campaigns.keep(body.source))
            row["body"] = body.to_json()
        return row

    async def _flush(self) -> None:
        try:
            while self._waiting:
                self._idle += 1
                try:
                    await asyncio.sleep(0)  # let the requests already in flight join this batch
                finally:
                    self._idle -= 1
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                if not batch:  # another flusher took them
                    return
                woken = False
                for (row, future), new in await self._store_apart(batch):
                    if isinstance(new, BaseException):
                        if not future.done():
                            future.set_exception(new)
                        continue
                    woken = woken or (new and row["done_at"] is None)
                    if not future.done():  # its request may have gone meanwhile
                        future.set_result(new)
                if woken:
                    self.on_accept()
        finally:
            self._running -= 1  # at once, not in a done callback: `accept` counts on it

    async def _store_apart(
        self, batch: list[tuple[dict[str, Any], asyncio.Future[bool]]]
    ) -> list[tuple[tuple[dict[str, Any], asyncio.Future[bool]], bool | Exception]]:
        """Store the batch; should the database refuse it (not be away), each of its updates
        alone, so that one it refuses fails only its own request, not the others stored beside
        it. Intake cleans every text, so this is a guard for what no one has thought of yet."""
        try:
            added: list[bool | Exception] = list(await self._store([row for row, _ in batch]))
        except Exception as error:
            if len(batch) == 1 or unreachable(error):
                return [(item, error) for item in batch]
            added = []
            for row, _ in batch:
                try:
                    added += await self._store([row])
                except Exception as alone:
                    added.append(alone)
        return list(zip(batch, added, strict=True))

    async def _store(self, rows: list[dict[str, Any]]) -> list[bool]:
        """Insert what is new; per row, whether it was (the first of repeats within a batch)."""
        keys = [(row["channel"], row["external_id"]) for row in rows]
        first = {key: n for n, key in reversed(list(enumerate(keys)))}
        unique = [rows[n] for n in sorted(first.values())]
        async with self.sessions() as session, session.begin():
            # one statement is atomic by itself: no BEGIN and COMMIT around it (two round trips
            # of four on PostgreSQL). Should a large batch go as several statements, a failure
            # between them fails every caller, and the retried updates already stored are
            # recognised as repeats, so nothing is lost or stored twice.
            await autocommit(session)
            result = await STORE.execute(session, unique)
            stored = {(channel, external) for channel, external in result}
        return [key in stored and first[key] == n for n, key in enumerate(keys)]


def unreachable(error: BaseException) -> bool:
    """Whether the error says the database could not be reached (rather than that it refused
    what it was given): trying again row by row would only wait longer for the same answer."""
    if isinstance(error, OSError | TimeoutError):  # ConnectionError is an OSError
        return True
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)
    return False


STORED = (
    "channel",
    "external_id",
    "conversation_id",
    "address",
    "body",
    "attempts",
    "received_at",
    "done_at",
)
"""The columns of `Intake._row`."""
_INBOX = cast(Table, InboxItem.__table__)
STORE = ManyRows(
    _INBOX,
    STORED,
    lambda insert: insert.on_conflict_do_nothing(
        index_elements=["channel", "external_id"]
    ).returning(_INBOX.c.channel, _INBOX.c.external_id),
)
"""Intake's INSERT: on PostgreSQL one statement text for any number of rows (see
`bot/storage/many_rows.py`): a multi-row VALUES list would be a new text, rendered and planned
again, for each batch size."""


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


async def next_pending(session: AsyncSession, conversation_id: str, limit: int = 1) -> list[int]:
    """The conversation's oldest unprocessed updates, in order."""
    rows = await session.scalars(
        select(InboxItem.id)
        .where(InboxItem.conversation_id == conversation_id, InboxItem.done_at.is_(None))
        .order_by(InboxItem.id)
        .limit(limit)
    )
    return list(rows)


@dataclass(frozen=True)
class Claimed:
    """An update taken for processing, its row locked until the transaction ends."""

    id: int
    channel: str
    conversation_id: str
    address: str | None
    body: Body
    received_at: dt.datetime


CLAIMED = (
    InboxItem.id,
    InboxItem.channel,
    InboxItem.conversation_id,
    InboxItem.address,
    InboxItem.body,
    InboxItem.received_at,
)
"""The columns a claim reads of an update (`Claimed`)."""


async def claim(session: AsyncSession, limit: int, exclude: Collection[str] = ()) -> list[Claimed]:
    """The oldest pending updates, at most `limit`, locked for this transaction; rows another
    transaction holds are skipped (PostgreSQL), and so is every update whose conversation has an
    older one pending that was not taken here, so one conversation's updates are processed in
    order and by one transaction at a time. `exclude`: conversations resting after a failure."""
    query = (
        select(*CLAIMED)
        .where(InboxItem.done_at.is_(None), InboxItem.conversation_id.is_not(None))
        .order_by(InboxItem.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if exclude:
        query = query.where(InboxItem.conversation_id.not_in(sorted(exclude)))
    taken = [
        Claimed(id, channel, cid, address, Body.from_json(body), received)
        for id, channel, cid, address, body, received in await core(session, query)
        if cid is not None
    ]
    mine = {item.id for item in taken}
    whole: set[int] = set()
    for ids in (await pending_ids(session, {item.conversation_id for item in taken})).values():
        for item_id in ids:  # oldest first: stop at the first one taken elsewhere
            if item_id not in mine:
                break
            whole.add(item_id)
    return [item for item in taken if item.id in whole]


DONE = object()
"""`claim_one`'s answer for an update already processed."""


async def claim_one(session: AsyncSession, item_id: int) -> Claimed | object | None:
    """The update `item_id`, locked for this transaction as `claim` locks them; DONE when it
    was already processed; None when it is gone or another transaction holds it (PostgreSQL)."""
    found = (
        await core(
            session,
            select(*CLAIMED, InboxItem.done_at)
            .where(InboxItem.id == item_id)
            .with_for_update(skip_locked=True),
        )
    ).first()
    if found is None:
        return None
    id, channel, cid, address, body, received, done_at = found
    if done_at is not None or cid is None:
        return DONE
    return Claimed(id, channel, cid, address, Body.from_json(body), received)


async def pending_ids(
    session: AsyncSession, conversation_ids: Collection[str]
) -> dict[str, list[int]]:
    """Every pending update of these conversations, oldest first."""
    found: dict[str, list[int]] = {}
    for part in chunks(conversation_ids):
        rows = await core(
            session,
            select(InboxItem.conversation_id, InboxItem.id)
            .where(
                among(session, InboxItem.conversation_id, part),
                InboxItem.done_at.is_(None),
            )
            .order_by(InboxItem.id),
        )
        for cid, item_id in rows:
            if cid is not None:
                found.setdefault(cid, []).append(item_id)
    return found


async def recent(
    session: AsyncSession, conversation_ids: Collection[str], since: dt.datetime
) -> dict[str, list[tuple[int, dt.datetime]]]:
    """(id, received_at) of these conversations' updates received after `since`, processed or
    not (what the flood throttle counts)."""
    found: dict[str, list[tuple[int, dt.datetime]]] = {}
    for part in chunks(conversation_ids):
        rows = await core(
            session,
            select(InboxItem.conversation_id, InboxItem.id, InboxItem.received_at).where(
                among(session, InboxItem.conversation_id, part),
                InboxItem.received_at > since,
            ),
        )
        for cid, item_id, received in rows:
            if cid is not None:
                found.setdefault(cid, []).append((item_id, as_utc(received)))
    return found


async def mark_many_done(session: AsyncSession, ids: Sequence[int], now: dt.datetime) -> None:
    """Processed: what the users wrote and where they are go; the ids stay for
    deduplication."""
    for part in chunks(ids):
        await core(
            session,
            update(InboxItem)
            .where(among(session, InboxItem.id, part))
            .values(done_at=now, body=None, address=None),
        )


async def forget(session: AsyncSession, conversation_id: str) -> None:
    """Unlink processed updates from a conversation whose user asked to be forgotten."""
    await session.execute(
        update(InboxItem)
        .where(InboxItem.conversation_id == conversation_id, InboxItem.done_at.is_not(None))
        .values(conversation_id=None, body=None, address=None)
    )


async def first_time(
    session: AsyncSession, channel: str, external_id: str, now: dt.datetime
) -> bool:
    """Remember, in the caller's transaction, that the platform event `external_id` of
    `channel` was handled (a delivery report): False when it already was, a replay. It is kept
    as a processed update is, only the id and the time, and goes with them after KEEP_DONE.
    Concurrent callers (other processes too) wait on the unique key: one of them gets True."""
    row = {
        "channel": channel,
        "external_id": external_id[:64],
        "conversation_id": None,
        "address": None,
        "body": None,
        "attempts": 0,
        "received_at": now,
        "done_at": now,
    }
    return bool(list(await STORE.execute(session, [row])))


async def purge_done(session: AsyncSession, now: dt.datetime) -> int:
    result = await session.execute(delete(InboxItem).where(InboxItem.done_at < now - KEEP_DONE))
    return int(getattr(result, "rowcount", 0) or 0)
