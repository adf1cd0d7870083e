"""Retention: a purge deletes idle conversations and counters past their months, nothing else."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from bot.cli.main import main
from bot.delivery.tables import FAILED, InboxItem, OutboxItem
from bot.retention import purge_now, purge_periodically
from bot.settings import StatsSettings
from bot.stats.retention import stats_cutoff
from bot.stats.tables import SurveyCount, TopicCount
from bot.storage.database import migrate, open_engine, sessions
from bot.storage.tables import Conversation
from tests.conftest import make_settings

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def test_counters_go_by_whole_months() -> None:
    config = StatsSettings(retention_months=36)
    assert stats_cutoff(NOW, config) == dt.date(2023, 11, 1)
    assert stats_cutoff(dt.datetime(2026, 1, 5, tzinfo=dt.UTC), config) == dt.date(2023, 1, 1)


async def test_purge_applies_every_retention_rule(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url)  # conversations: 30 days
    db = open_engine(database_url)
    await migrate(db)
    maker = sessions(db)

    def conversation(cid: str, idle_days: int) -> dict[str, Any]:
        at = NOW - dt.timedelta(days=idle_days)
        return {
            "id": cid,
            "channel": "sms",
            "lang": "ru",
            "state": {},
            "version": 1,
            "created_at": at,
            "updated_at": at,
        }

    def topic(day: dt.date) -> dict[str, Any]:
        return {
            "day": day,
            "topic": "quota",
            "lang": "ru",
            "channel": "sms",
            "source": "none",
            "count": 7,
        }

    async with maker() as session, session.begin():
        await session.execute(
            insert(Conversation), [conversation("old", 31), conversation("recent", 29)]
        )
        await session.execute(
            insert(TopicCount.__table__),
            [topic(dt.date(2023, 10, 31)), topic(dt.date(2023, 11, 1))],
        )
        await session.execute(
            insert(SurveyCount.__table__),
            [
                {"month": m, "question": "age", "answer": "18_24", "count": 9}
                for m in ("2023-10", "2023-11")
            ],
        )
        for days, processed in ((3, True), (1, True), (5, False)):
            session.add(
                InboxItem(
                    channel="telegram",
                    external_id=f"{days}",
                    received_at=NOW - dt.timedelta(days=days),
                    done_at=NOW - dt.timedelta(days=days) if processed else None,
                    attempts=0,
                )
            )
        for days in (31, 29):
            session.add(
                OutboxItem(
                    channel="telegram",
                    conversation_id="recent",
                    address="sealed",
                    body={"text": "x", "options": []},
                    part=0,
                    attempts=3,
                    status=FAILED,
                    not_before=NOW,
                    created_at=NOW - dt.timedelta(days=days),
                )
            )
    assert settings.stats.retention_months == 36
    deleted = await purge_now(maker, settings, now=NOW)
    assert deleted["inbox"] == 1  # processed over two days ago; never one still pending
    assert deleted["outbox"] == 1
    assert deleted["conversations"] == 1
    assert deleted["stat_topic_counts"] == 1
    assert deleted["stat_survey_counts"] == 1
    async with maker() as session:
        assert (await session.execute(select(Conversation.id))).scalars().all() == ["recent"]
        days = (await session.execute(select(TopicCount.day))).scalars().all()
        assert days == [dt.date(2023, 11, 1)]
        months = (await session.execute(select(SurveyCount.month))).scalars().all()
        assert months == ["2023-11"]
        assert (await session.execute(select(func.count()).select_from(Conversation))).scalar()
    await db.dispose()


def test_the_purge_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    assert main(["purge"]) == 0
    out = capsys.readouterr().out
    assert "conversations" in out and "stat_topic_counts" in out


async def test_serve_can_purge_periodically(tmp_path: Path, sqlite_url: str) -> None:
    db = open_engine(sqlite_url)
    await migrate(db)
    maker = sessions(db)
    old = NOW - dt.timedelta(days=40)
    async with maker() as session, session.begin():
        session.add(
            Conversation(id="x", channel="sms", state={}, version=1, created_at=old, updated_at=old)
        )
    task = asyncio.create_task(
        purge_periodically(maker, make_settings(tmp_path, sqlite_url), clock=lambda: NOW)
    )
    for _ in range(100):  # the first purge runs at once
        await asyncio.sleep(0.02)
        async with maker() as session:
            if not (await session.execute(select(Conversation.id))).scalars().all():
                break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with maker() as session:
        assert (await session.execute(select(Conversation.id))).scalars().all() == []
    await db.dispose()
