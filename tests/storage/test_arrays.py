"""Rows written as arrays (PostgreSQL) or row by row (SQLite) read back the same, ids in the
order given."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from bot.delivery import outbox
from bot.delivery.inbound import Inbound
from bot.delivery.inbox import Intake
from bot.delivery.tables import InboxItem, OutboxItem
from bot.engine.messages import OptionOut, Outgoing
from bot.engine.state import State
from bot.service.core import Core as App
from bot.storage.conversations import Saved, as_utc, save
from bot.storage.dialects import sqlite_rows
from bot.storage.sealed import Sealer
from bot.storage.tables import Conversation

SEALER = Sealer(b"test-secret-key")


async def test_queued_rows_keep_their_order_and_bodies(app: App) -> None:
    now = dt.datetime.now(dt.UTC)
    messages = [
        Outgoing(f"m{n} «ё» 🙂", (OptionOut("a", "Да", 1),) if n % 2 else ()) for n in range(300)
    ]
    rows = outbox.rows("telegram", "c1", "sealed", messages[:150], now, SEALER)
    rows += outbox.rows("sms", "c2", "sealed2", messages[150:], now, SEALER)
    async with app.service.sessions() as session, session.begin():
        await outbox.add_rows(session, rows)
    async with app.service.sessions() as session:
        stored = (await session.scalars(select(OutboxItem).order_by(OutboxItem.id))).all()
    assert [outbox.message_of(row.body, SEALER) for row in stored] == messages
    assert [row.channel for row in stored] == ["telegram"] * 150 + ["sms"] * 150
    assert {(row.part, row.attempts, row.status) for row in stored} == {(0, 0, "pending")}
    assert {as_utc(row.created_at) for row in stored} == {now}


async def test_upserted_states_and_times_read_back_as_written(app: App) -> None:
    """SQLite binds these rows itself (`SqliteRows`): JSON, times and flags as SQLAlchemy would,
    a time repeated down a column converted once, different times kept apart."""
    now = dt.datetime(2026, 11, 24, 9, 30, 15, 123456, tzinfo=dt.UTC)
    states = {f"c{n}": State(lang="uz", node="patent.start", vars={"n": str(n)}) for n in range(5)}
    async with app.service.sessions() as session, session.begin():
        await save(session, [Saved(cid, "sms", s, 1) for cid, s in states.items()], now)
    later = now + dt.timedelta(seconds=1)
    states["c1"] = State(lang="tg", history=["a", "b"], marks={"stats:day": "2026-11-24"})
    async with app.service.sessions() as session, session.begin():
        await save(session, [Saved("c1", "sms", states["c1"], 2, "sealed")], later)
    async with app.service.sessions() as session:
        rows = (await session.scalars(select(Conversation).order_by(Conversation.id))).all()
    assert {row.id: State.from_json(row.state) for row in rows} == states
    assert {row.id: (row.lang, row.version, row.address, row.blocked) for row in rows} == {
        cid: (s.lang, 2 if cid == "c1" else 1, "sealed" if cid == "c1" else None, False)
        for cid, s in states.items()
    }
    assert {row.id: as_utc(row.updated_at) for row in rows} == {
        cid: later if cid == "c1" else now for cid in states
    }
    assert {as_utc(row.created_at) for row in rows} == {now}
    queued = outbox.rows("sms", "c1", "s", [Outgoing("x"), Outgoing("y")], now, SEALER)
    queued += outbox.rows("sms", "c1", "s", [Outgoing("z")], later, SEALER)
    async with app.service.sessions() as session, session.begin():
        await outbox.add_rows(session, queued)
    async with app.service.sessions() as session:
        items = (await session.scalars(select(OutboxItem).order_by(OutboxItem.id))).all()
    assert [(outbox.message_of(i.body, SEALER).text, as_utc(i.created_at)) for i in items] == [
        ("x", now),
        ("y", now),
        ("z", later),
    ]


async def test_returned_rows_come_back_across_statements(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With RETURNING, SQLite's rows go as multi-row VALUES lists, as many as its parameter
    limit allows each (lowered here to 2 rows of 8 columns): what each returns is collected."""
    monkeypatch.setattr(sqlite_rows, "SQLITE_PARAMETERS", 20)
    intake = Intake(app.service.sessions, b"k")
    inbound = [
        Inbound("telegram", str(n), user_id="u", address="a", text=f"t{n}") for n in range(7)
    ]
    assert await asyncio.gather(*(intake.accept(one) for one in inbound)) == [True] * 7
    repeats = [*inbound[2:5], Inbound("telegram", "7", user_id="u", text="t7")]
    assert await asyncio.gather(*(intake.accept(one) for one in repeats)) == [False] * 3 + [True]
    async with app.service.sessions() as session:
        stored = (await session.scalars(select(InboxItem).order_by(InboxItem.id))).all()
    assert [(row.external_id, row.body["text"]) for row in stored] == [
        (str(n), f"t{n}") for n in range(8)
    ]
