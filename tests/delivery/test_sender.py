"""Recording what a send did: a message delivered whole is deleted (once), a split one advances
a part at a time, and a row recorded meanwhile elsewhere is left as it is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from bot.delivery import outbox
from bot.delivery.pacing import Pacer
from bot.delivery.sender import Delivered, OutboxSender, Outcome
from bot.delivery.tables import OutboxItem
from bot.engine.messages import Outgoing
from bot.service.core import Core as App
from bot.storage.sealed import Sealer

SECRET = b"test-secret-key"


class Pieces:
    """A transport that splits a text on "|" and delivers every piece."""

    channel = "telegram"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def render(self, message: Outgoing) -> Sequence[Any]:
        return message.text.split("|")

    async def send(self, address: str, piece: Any) -> Outcome:
        self.sent.append((address, piece))
        return Delivered()


async def queued(app: App, *texts: str) -> list[OutboxItem]:
    sealed = Sealer(SECRET).seal("42")
    now = dt.datetime.now(dt.UTC)
    rows = outbox.rows("telegram", "c1", sealed, [Outgoing(t) for t in texts], now, Sealer(SECRET))
    async with app.service.sessions() as session, session.begin():
        await outbox.add_rows(session, rows)
    return await stored(app)


async def stored(app: App) -> list[OutboxItem]:
    async with app.service.sessions() as session:
        return list((await session.scalars(select(OutboxItem).order_by(OutboxItem.id))).all())


def sender(app: App, transport: Pieces) -> OutboxSender:
    return OutboxSender(transport, app.service.sessions, Sealer(SECRET), Pacer(1000, 1000))


async def test_a_message_delivered_whole_is_deleted_once(app: App) -> None:
    transport = Pieces()
    first, second = await queued(app, "one", "two")
    running = sender(app, transport)
    await running._attempt(first)
    assert [row.id for row in await stored(app)] == [second.id]
    assert running.sent == 1
    await running._record(first, Delivered(), 1)  # recorded again (another process): no-op
    assert running.sent == 1
    assert transport.sent == [("42", "one")]


async def test_a_split_message_goes_a_part_at_a_time(app: App) -> None:
    transport = Pieces()
    await queued(app, "a|b|c")
    running = sender(app, transport)
    for part in range(3):
        (row,) = await stored(app)
        assert row.part == part
        await running._attempt(row)
    assert await stored(app) == []
    assert [piece for _, piece in transport.sent] == ["a", "b", "c"]
    assert running.sent == 3


async def test_a_row_advanced_elsewhere_is_not_deleted(app: App) -> None:
    (item,) = await queued(app, "a|b")
    running = sender(app, Pieces())
    await running._attempt(item)  # part 0 sent: the row now waits with part 1
    await running._record(item, Delivered(), 1)  # a stale view of part 0 claiming it was last
    (row,) = await stored(app)
    assert row.part == 1
