"""Rows written as arrays (PostgreSQL) or row by row (SQLite) read back the same, ids in the
order given."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.app import App
from bot.delivery import outbox
from bot.delivery.tables import OutboxItem
from bot.engine.messages import OptionOut, Outgoing
from bot.storage.conversations import as_utc


async def test_queued_rows_keep_their_order_and_bodies(app: App) -> None:
    now = dt.datetime.now(dt.UTC)
    messages = [
        Outgoing(f"m{n} «ё» 🙂", (OptionOut("a", "Да", 1),) if n % 2 else ()) for n in range(300)
    ]
    rows = outbox.rows("telegram", "c1", "sealed", messages[:150], now)
    rows += outbox.rows("sms", "c2", "sealed2", messages[150:], now)
    async with app.service.sessions() as session, session.begin():
        await outbox.add_rows(session, rows)
    async with app.service.sessions() as session:
        stored = (await session.scalars(select(OutboxItem).order_by(OutboxItem.id))).all()
    assert [outbox.message_of(row.body) for row in stored] == messages
    assert [row.channel for row in stored] == ["telegram"] * 150 + ["sms"] * 150
    assert {(row.part, row.attempts, row.status) for row in stored} == {(0, 0, "pending")}
    assert {as_utc(row.created_at) for row in stored} == {now}
