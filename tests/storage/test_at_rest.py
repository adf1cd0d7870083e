"""Privacy at rest on SQLite: what a person wrote, their number and their chat id must leave every
file of the database (the main file, its `-wal` log and `-shm` index) within a bounded time after
the turn, after "forget me" and after a purge: not only the rows a `.dump` shows. A deleted row
survives in the log until a checkpoint, and in a freed page unless `secure_delete` is on."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.retention import purge_now
from bot.service.core import Core as App
from bot.storage.database import open_engine
from tests.channels.sms.conftest import SmsServed, sms_settings
from tests.channels.telegram.conftest import serve, telegram_settings
from tests.fakes import updates
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.handover.test_channels import ALWAYS_OPEN, add_operator, only_handover
from tests.serving import Running, running

pytestmark = pytest.mark.slow

NUMBER = "+79161234567"
CHAT = 918_273_645
SAID = "Меня зовут Азиз, мой номер +79161234567, паспорт AB1234567"
REPLY = "Азиз, перезвоню на +79161234567 завтра"
CHECKPOINT = {"SQLITE_CHECKPOINT_SECONDS": "0.2"}
"""A short interval instead of the default's half a minute of wall clock."""


def secrets_of(*identifiers: str) -> list[bytes]:
    """What must not be found: each identifier and the private words, as UTF-8 and as the
    UTF-16 a database created with that encoding would hold."""
    words = [*identifiers, "79161234567", "AB1234567", "Азиз", "перезвоню"]
    return [w.encode(codec) for w in words for codec in ("utf-8", "utf-16-le", "utf-16-be")]


def readable(folder: Path, secrets: list[bytes]) -> dict[str, list[bytes]]:
    """For each database file under `folder` (main, -wal, -shm, -journal), the secrets in it."""
    found: dict[str, list[bytes]] = {}
    for path in sorted(folder.rglob("*.db*")):
        data = path.read_bytes()
        hits = [s for s in secrets if s in data]
        if hits:
            found[path.name] = hits
    return found


async def clean_within(folder: Path, secrets: list[bytes], seconds: float = 5) -> dict[str, list]:
    """Poll until no database file shows a secret, or `seconds` pass; what was still found."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        found = readable(folder, secrets)
        if not found or asyncio.get_running_loop().time() > deadline:
            return dict(found)
        await asyncio.sleep(0.1)


async def purged(run: Running) -> None:
    await purge_now(run.services.sessions, run.services.settings)


async def test_an_sms_users_words_leave_every_database_file(
    tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    settings = sms_settings(tmp_path, url, fake_twilio, **ALWAYS_OPEN, **CHECKPOINT)
    async with running(settings) as run:
        sms = SmsServed(run.url, run.client, run.services, fake_twilio)
        services = sms.services
        assert services.desk is not None
        await sms.sms(NUMBER, "1")  # Russian
        await sms.sms(NUMBER, "0")  # the operator
        assert len(await sms.replies(NUMBER, 2)) == 2
        row = await only_handover(services)
        olga = await add_operator(services, "olga", "ru")
        await services.desk.take(olga, row.id)
        assert len(await sms.replies(NUMBER, 3)) == 3
        await sms.sms(NUMBER, SAID)
        assert await sms.settled()
        await services.desk.reply(olga, row.id, REPLY)
        assert (await sms.replies(NUMBER, 4))[-1].endswith(REPLY)  # after the "Operator:" label
        await services.desk.close(olga, row.id, "other")
        assert len(await sms.replies(NUMBER, 5)) == 5
        # a living conversation keeps only sealed values: the timer alone cleans the log
        assert await clean_within(tmp_path, secrets_of(NUMBER)) == {}
        await sms.sms(NUMBER, "удалить мои данные")
        assert len(await sms.replies(NUMBER, 6)) == 6
        assert await sms.settled()
        await purged(run)

        assert await clean_within(tmp_path, secrets_of(NUMBER)) == {}


async def test_a_telegram_users_words_leave_every_database_file(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    settings = telegram_settings(tmp_path, url, fake_telegram, **ALWAYS_OPEN, **CHECKPOINT)
    async with serve(settings, fake_telegram) as served:
        services = served.services
        assert services.desk is not None
        post = served.post_update
        await post(updates.text_update(1, CHAT, "/start"))
        await post(updates.button_update(2, CHAT, "lang:ru"))
        await post(updates.text_update(3, CHAT, "/operator"))
        assert await served.replies(3, CHAT)
        row = await only_handover(services)
        olga = await add_operator(services, "olga", "ru")
        await services.desk.take(olga, row.id)
        assert await served.replies(4, CHAT)
        await post(updates.text_update(4, CHAT, SAID))
        assert await served.settled()
        await services.desk.reply(olga, row.id, REPLY)
        assert await served.replies(5, CHAT)
        await services.desk.close(olga, row.id, "other")
        assert await served.replies(6, CHAT)
        assert await clean_within(tmp_path, secrets_of(str(CHAT))) == {}
        await post(updates.text_update(5, CHAT, "/forget"))
        assert await served.replies(7, CHAT)
        assert await served.settled()
        await purged(served)

        assert await clean_within(tmp_path, secrets_of(str(CHAT))) == {}


async def test_sqlite_erases_deleted_content_whatever_the_library_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Freed space is overwritten with zeros even where libsqlite was built with secure_delete
    off (SQLite's own default; this machine's Debian build has it on)."""
    connect = sqlite3.connect

    def built_without(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection = connect(*args, **kwargs)
        connection.execute("PRAGMA secure_delete=OFF")
        return connection

    monkeypatch.setattr(sqlite3, "connect", built_without)
    engine = open_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA secure_delete"))).scalar() == 1
    finally:
        await engine.dispose()


async def test_postgresql_vacuums_the_delivery_tables_after_a_few_dead_rows(app: App) -> None:
    """Erased bodies and sent messages stay as dead rows until a vacuum (see PRIVACY.md)."""
    if app.db.dialect.name != "postgresql":
        pytest.skip("SQLite has secure_delete and checkpoints instead")
    async with app.db.connect() as connection:
        found = await connection.execute(
            text("SELECT relname, reloptions FROM pg_class WHERE relname IN ('inbox', 'outbox')")
        )
        options = {name: sorted(opts or []) for name, opts in found.all()}
    expected = ["autovacuum_vacuum_scale_factor=0", "autovacuum_vacuum_threshold=50"]
    assert options == {"inbox": expected, "outbox": expected}
