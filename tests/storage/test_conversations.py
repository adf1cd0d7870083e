"""Conversation storage: a restart resumes, nothing identifying is stored, idle state expires."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select, text

from bot.engine.messages import Incoming
from bot.engine.state import State
from bot.service.core import Core as App
from bot.service.core import open_core as open_app
from bot.storage.conversations import Saved, load, save, set_blocked
from bot.storage.tables import Conversation
from tests.conftest import make_settings
from tests.talking import greet, say

USER = "+79161234567"


async def test_restart_resumes_where_the_conversation_was(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url)
    first = await open_app(settings)
    await greet(first, "telegram", USER, lang="ru")
    await say(first, "telegram", USER, Incoming(text="2"))  # registration
    await first.close()

    second = await open_app(settings)  # a new process: migrations re-run, state read back
    try:
        result = await say(second, "telegram", USER, Incoming(text="1"))  # Uzbekistan
        assert result.messages[0].topic == "registration"
        assert result.state.vars == {"citizenship": "UZ"}
    finally:
        await second.close()


async def test_no_raw_user_id_is_stored(app: App) -> None:
    await greet(app, "sms", USER, lang="uz")
    await say(app, "sms", USER, Incoming(text="1"))
    async with app.service.sessions() as session:
        rows = (await session.execute(select(Conversation))).scalars().all()
        dump = " ".join(
            str(value)
            for row in (await session.execute(text("SELECT * FROM conversations"))).all()
            for value in row
        )
    assert len(rows) == 1
    assert USER not in dump and "79161234567" not in dump
    assert rows[0].id == app.service.conversation_id("sms", USER) and len(rows[0].id) == 64


async def test_same_user_on_another_channel_is_another_conversation(app: App) -> None:
    a = app.service.conversation_id("sms", USER)
    b = app.service.conversation_id("telegram", USER)
    assert a != b


async def test_idle_conversation_expires(app: App) -> None:
    await greet(app, "telegram", USER, lang="tg")
    await say(app, "telegram", USER, Incoming(text="2"))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    app.service.clock = lambda: later
    result = await say(app, "telegram", USER, Incoming(text="салом"))
    assert result.state.lang is None  # a fresh first contact: asked for the language again
    assert len(result.messages[0].options) == 3


async def test_forget_deletes_the_row(app: App) -> None:
    await greet(app, "telegram", USER, lang="ru")
    result = await say(app, "telegram", USER, Incoming(text="удалить мои данные"))
    assert "удалены" in result.messages[0].text
    async with app.service.sessions() as session:
        count = (await session.execute(text("SELECT COUNT(*) FROM conversations"))).scalar_one()
    assert count == 0


async def test_save_inserts_updates_and_unblocks(app: App) -> None:
    now = dt.datetime.now(dt.UTC)
    async with app.service.sessions() as session, session.begin():
        await save(
            session,
            [
                Saved("a", "telegram", State(lang="ru"), 1, "sealed-a"),
                Saved("b", "sms", State(), 1),
            ],
            now,
        )
        await set_blocked(session, "a", True)
    async with app.service.sessions() as session, session.begin():
        loaded = await load(session, ["a", "b", "c"], now=now, ttl=dt.timedelta(days=1))
        assert {cid: one.version for cid, one in loaded.items()} == {"a": 1, "b": 1}
        assert loaded["a"].state.lang == "ru"
        later = now + dt.timedelta(minutes=1)
        await save(
            session,
            [
                Saved("a", "telegram", State(lang="uz"), 3),
                Saved("b", "sms", State(), 2, "sealed-b"),
            ],
            later,
        )
    async with app.service.sessions() as session:
        rows = {r.id: r for r in (await session.scalars(select(Conversation))).all()}
    assert (rows["a"].lang, rows["a"].version, rows["a"].address, rows["a"].blocked) == (
        "uz",
        3,
        "sealed-a",  # no new address: the stored one stays, and so does the block
        True,
    )
    assert (rows["b"].version, rows["b"].address, rows["b"].blocked) == (2, "sealed-b", False)
    assert rows["b"].channel == "sms"
    assert rows["a"].state == State(lang="uz").to_json()


async def test_load_deletes_expired(app: App) -> None:
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    async with app.service.sessions() as session, session.begin():
        await save(session, [Saved("old", "telegram", State(), 1)], long_ago)
    async with app.service.sessions() as session, session.begin():
        now = dt.datetime.now(dt.UTC)
        assert await load(session, ["old"], now=now, ttl=dt.timedelta(days=30)) == {}
    async with app.service.sessions() as session:
        assert (await session.scalars(select(Conversation))).all() == []
