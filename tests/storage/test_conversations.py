"""Conversation storage: a restart resumes, nothing identifying is stored, idle state expires."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select, text

from bot.app import App, open_app
from bot.engine.messages import Incoming
from bot.storage.tables import Conversation
from tests.conftest import make_settings

USER = "+79161234567"


async def test_restart_resumes_where_the_conversation_was(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url)
    first = await open_app(settings)
    await first.service.greet("telegram", USER, lang="ru")
    await first.service.handle("telegram", USER, Incoming(text="2"))  # registration
    await first.close()

    second = await open_app(settings)  # a new process: migrations re-run, state read back
    try:
        result = await second.service.handle("telegram", USER, Incoming(text="1"))  # Uzbekistan
        assert result.messages[0].topic == "registration"
        assert result.state.vars == {"citizenship": "UZ"}
    finally:
        await second.close()


async def test_no_raw_user_id_is_stored(app: App) -> None:
    await app.service.greet("sms", USER, lang="uz")
    await app.service.handle("sms", USER, Incoming(text="1"))
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
    await app.service.greet("telegram", USER, lang="tg")
    await app.service.handle("telegram", USER, Incoming(text="2"))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    app.service.clock = lambda: later
    result = await app.service.handle("telegram", USER, Incoming(text="салом"))
    assert result.state.lang is None  # a fresh first contact: asked for the language again
    assert len(result.messages[0].options) == 3


async def test_forget_deletes_the_row(app: App) -> None:
    await app.service.greet("telegram", USER, lang="ru")
    result = await app.service.handle("telegram", USER, Incoming(text="удалить мои данные"))
    assert "удалены" in result.messages[0].text
    async with app.service.sessions() as session:
        count = (await session.execute(text("SELECT COUNT(*) FROM conversations"))).scalar_one()
    assert count == 0
