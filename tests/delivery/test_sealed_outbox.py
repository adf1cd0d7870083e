"""Texts waiting in the outbox are sealed like the transcript: an operator's reply to a web
visitor who has no page open may wait a day (a month as failed), and a dump of the table must not
show it; the visitor still gets it intact on coming back. Rows queued in clear by an earlier
version are still sent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.channels.web.transport import CHANNEL
from bot.delivery import outbox
from bot.delivery.tables import PENDING, OutboxItem
from bot.engine.messages import OptionOut, Outgoing
from bot.storage.pseudonym import pseudonym
from bot.storage.sealed import Sealer
from tests.channels.web.conftest import Visitor, web_settings
from tests.channels.web.test_channel import waiting
from tests.handover.test_channels import ALWAYS_OPEN, add_operator, only_handover
from tests.serving import Running, running

pytestmark = pytest.mark.slow

REPLY = "Азиз, перезвоню на +79161234567 завтра"


async def raw_outbox(run: Running) -> list[str]:
    """Every stored value of the outbox, as the database holds it (no type decoding)."""
    async with run.services.core.db.connect() as connection:
        rows = (await connection.execute(text("SELECT * FROM outbox"))).all()
    return [str(value) for row in rows for value in row]


def cyrillic(values: list[str]) -> list[str]:
    return [v for v in values if any("а" <= c.lower() <= "я" for c in v)]


async def test_an_operator_reply_waits_sealed_and_arrives_intact(
    tmp_path: Path, database_url: str
) -> None:
    async with running(web_settings(tmp_path, database_url, **ALWAYS_OPEN)) as run:
        services = run.services
        assert services.desk is not None
        visitor = Visitor(run.url)
        try:
            assert (await visitor.open()).status_code == 200
            async with visitor.events() as events:
                await visitor.start("?lang=ru")
                await events.next()
                await visitor.send(text="оператор")
                await events.next()
            # the page is closed: what the operator says waits in the outbox
            row = await only_handover(services)
            olga = await add_operator(services, "olga", "ru")
            await services.desk.take(olga, row.id)
            await services.desk.reply(olga, row.id, REPLY)
            items = await waiting(run)
            assert len(items) == 2 and all(item.status == PENDING for item in items)
            stored = await raw_outbox(run)
            assert not [v for v in stored if "79161234567" in v or "Азиз" in v]
            assert cyrillic(stored) == []  # no text of the bot's either

            async with visitor.events() as events:
                got = [await events.next(timeout=5), await events.next(timeout=5)]
            assert got[-1]["text"] == REPLY
            assert await run.settled()
        finally:
            await visitor.close()


async def test_a_message_queued_in_clear_before_the_upgrade_is_still_sent(
    tmp_path: Path, database_url: str
) -> None:
    async with running(web_settings(tmp_path, database_url)) as run:
        services = run.services
        secret = services.settings.resolved_secret_key()
        visitor = Visitor(run.url)
        try:
            assert (await visitor.open()).status_code == 200
            old = outbox.body_of(Outgoing("Старый ответ", (OptionOut("nav:menu", "Меню", -1),)))
            assert old["text"] == "Старый ответ"  # the shape rows had before sealing
            async with services.sessions() as session, session.begin():
                now = dt.datetime.now(dt.UTC)
                session.add(
                    OutboxItem(
                        channel=CHANNEL,
                        conversation_id=pseudonym(secret, CHANNEL, visitor.secret),
                        address=Sealer(secret).seal(visitor.secret),
                        body=old,
                        part=0,
                        attempts=0,
                        status=PENDING,
                        not_before=now,
                        created_at=now,
                    )
                )
            async with visitor.events() as events:
                services.senders[CHANNEL].wake()
                piece = await events.next(timeout=5)
            assert piece == {
                "text": "Старый ответ",
                "options": [{"id": "nav:menu", "label": "Меню"}],
            }
        finally:
            await visitor.close()
