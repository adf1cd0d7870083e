"""The misses log in the database: what is kept of a message the bot did not understand, and
what never is."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from sqlalchemy import insert, inspect

from bot.conversation import Batch, Context
from bot.engine.messages import MatchUnsure, NotUnderstood
from bot.engine.state import State
from bot.misses.sink import MissesSink, misses_sinks
from bot.misses.store import read
from bot.misses.tables import MissedMessage
from bot.retention import purge_now
from bot.service.assembly import assemble
from bot.service.core import open_core as open_app
from bot.storage.database import migrate, open_engine, sessions
from tests.conftest import make_settings
from tests.misses.conftest import NOON, Log

GIBBERISH = "qwzx plmk vbnr"
LINKING = re.compile(
    r"conversation|pseudonym|user|chat|channel|address|phone|time|created|updated|^id$|_id$",
    re.IGNORECASE,
)


async def test_a_text_not_understood_is_kept_scrubbed_with_its_day_and_language(log: Log) -> None:
    await log.say("u1", f"{GIBBERISH} 89991234567")
    await log.say("u2", f"{GIBBERISH} +7 999 765 43 21", lang="ru")
    await log.say("u3", GIBBERISH, lang="tg")
    day = dt.date(2026, 11, 23)
    assert await log.rows() == [
        (day, "ru", "not_understood", f"{GIBBERISH} #", 2),
        (day, "tg", "not_understood", GIBBERISH, 1),
    ]


async def test_the_table_cannot_lead_back_to_a_conversation(tmp_path: Path) -> None:
    columns = [c.name for c in MissedMessage.__table__.columns]
    assert columns == ["day", "lang", "kind", "text", "count"]
    assert not [c for c in columns if LINKING.search(c)]
    assert not MissedMessage.__table__.foreign_keys
    db = open_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    try:
        await migrate(db)
        async with db.connect() as conn:
            migrated = await conn.run_sync(
                lambda c: [col["name"] for col in inspect(c).get_columns("missed_messages")]
            )
    finally:
        await db.dispose()
    assert migrated == columns


async def test_unsure_matches_are_kept_too_and_batches_write_once(log: Log) -> None:
    service = log.app.service
    (sink,) = service.sinks
    assert isinstance(sink, MissesSink)
    async with service.sessions() as session, session.begin():
        batch = Batch()  # one run's turns share it; the sink writes once at its finish
        for cid in ("a", "b"):
            ctx = Context(cid, "sms", State(lang="uz"), NOON, batch=batch)
            await sink.record(session, ctx, [MatchUnsure("Patent Toshkentda qancha?", "uz")])
        await sink.record(
            session, Context("c", "sms", State(), NOON), [NotUnderstood(1, "xyz abc", None)]
        )
        await batch.finish(session)
    rows = await log.rows()
    assert (dt.date(2026, 11, 23), "uz", "unsure", "patent <name> qancha", 2) in rows
    assert (dt.date(2026, 11, 23), "und", "not_understood", "xyz abc", 1) in rows


async def test_off_keeps_nothing(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url, MISSES_LOG="off")
    assert not settings.misses_log
    assert misses_sinks(settings) == []
    assert make_settings(tmp_path, database_url).misses_log  # on unless turned off
    log = Log(await open_app(settings, sinks=misses_sinks(settings)))
    try:
        await log.say("u1", GIBBERISH)
        assert await log.rows() == []
    finally:
        await log.app.close()


async def test_texts_go_thirty_days_after_their_day(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url)
    db = open_engine(database_url)
    await migrate(db)
    maker = sessions(db)
    today = dt.date(2026, 11, 23)
    try:
        async with maker() as session, session.begin():
            for age in (31, 30, 29, 0):
                day = today - dt.timedelta(days=age)
                await session.execute(
                    insert(MissedMessage).values(
                        day=day, lang="ru", kind="not_understood", text=f"t{age}", count=1
                    )
                )
        deleted = await purge_now(maker, settings, now=NOON)
        assert deleted["missed_messages"] == 2
        async with maker() as session:
            kept = await read(session, today - dt.timedelta(days=60))
        assert sorted(m.text for m in kept) == ["t0", "t29"]
    finally:
        await db.dispose()


async def test_the_service_feeds_the_log_unless_it_is_off(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    for switch, fed in (("on", True), ("off", False), ("OFF", False), ("no", False)):
        services = await assemble(make_settings(tmp_path, url, MISSES_LOG=switch), plugins=[])
        try:
            sinks = services.conversations.sinks
            assert any(isinstance(s, MissesSink) for s in sinks) is fed, switch
        finally:
            await services.close()
