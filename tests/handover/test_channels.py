"""The same handover for a Telegram user and an SMS user, against the fake platforms: the user
asks for an operator, learns their place, the operator takes it and replies on the user's own
channel, the bot stays silent meanwhile, and after closing the bot answers again."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.operators import queue
from bot.operators.tables import Handover, Operator
from bot.service.assembly import Services
from bot.storage.sealed import Sealer
from tests.channels.sms.conftest import SmsServed, sms_settings
from tests.channels.telegram.conftest import Served, serve, telegram_settings
from tests.fakes import updates
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.serving import running

pytestmark = pytest.mark.slow

ALWAYS_OPEN = {
    "HOTLINE_DAYS": "0,1,2,3,4,5,6",
    "HOTLINE_OPENS": "00:00",
    "HOTLINE_CLOSES": "24:00",
    "OPERATOR_BOOTSTRAP": "0",
}
CHAT = 7_001
NUMBER = "+79161234567"


async def add_operator(
    services: Services, name: str, langs: str, display_name: str | None = None
) -> Operator:
    async with services.sessions() as session, session.begin():
        row = Operator(
            name=name,
            password_hash="-",
            langs=langs,
            active=True,
            created_at=dt.datetime.now(dt.UTC),
            display_name=display_name,
        )
        session.add(row)
    return row


async def only_handover(services: Services) -> Handover:
    async with services.sessions() as session:
        row = await session.scalar(select(Handover).order_by(Handover.id.desc()))
    assert row is not None
    return row


async def transcript(services: Services, handover_id: int) -> list[tuple[str, str]]:
    sealer = Sealer(services.settings.resolved_secret_key())
    async with services.sessions() as session:
        lines = await queue.lines(session, handover_id)
    return [
        (line.kind, line.body if line.kind == "event" else sealer.open(line.body)) for line in lines
    ]


@pytest.fixture
async def telegram(
    tmp_path: Path, database_url: str, fake_telegram: FakeTelegram
) -> AsyncIterator[Served]:
    settings = telegram_settings(tmp_path, database_url, fake_telegram, **ALWAYS_OPEN)
    async with serve(settings, fake_telegram) as served:
        yield served


@pytest.fixture
async def sms(
    tmp_path: Path, database_url: str, fake_twilio: FakeTwilio
) -> AsyncIterator[SmsServed]:
    settings = sms_settings(tmp_path, database_url, fake_twilio, **ALWAYS_OPEN)
    async with running(settings) as run:
        yield SmsServed(run.url, run.client, run.services, fake_twilio)


async def test_a_telegram_user_talks_to_an_operator_and_back(telegram: Served) -> None:
    services = telegram.services
    assert services.desk is not None
    post = telegram.post_update
    await post(updates.text_update(1, CHAT, "/start"))
    await post(updates.button_update(2, CHAT, "lang:uz"))
    await post(updates.text_update(3, CHAT, "/operator"))
    assert await telegram.replies(3, CHAT)
    asked = telegram.fake.sent(CHAT)[-1].params["text"]
    assert "navbatda 1-oʻrindasiz" in asked

    row = await only_handover(services)
    assert (row.channel, row.lang, row.status) == ("telegram", "uz", "queued")
    olga = await add_operator(services, "olga", "uz")
    await services.desk.take(olga, row.id)
    assert await telegram.replies(4, CHAT)
    assert "operatori aloqada" in telegram.fake.sent(CHAT)[-1].params["text"]

    await post(updates.text_update(4, CHAT, "Pasportimni olib qoʻyishdi"))
    await post(updates.text_update(5, CHAT, "1"))  # a digit is an answer to the operator now
    assert await telegram.settled()
    assert len(telegram.fake.sent(CHAT)) == 4  # the bot said nothing

    await services.desk.reply(olga, row.id, "Qaysi shaharda siz?")
    assert await telegram.replies(5, CHAT)
    reply = telegram.fake.sent(CHAT)[-1].params
    assert reply["text"] == "<b>Operator:</b>\nQaysi shaharda siz?"  # a person, not the bot
    assert "olga" not in reply["text"]  # no display name chosen: never the login
    assert "nav:menu" in str(reply["reply_markup"])  # one button back to the menu

    await services.desk.close(olga, row.id, "trafficking")
    assert await telegram.replies(6, CHAT)
    assert "Operator suhbatni yakunladi" in telegram.fake.sent(CHAT)[-1].params["text"]
    await post(updates.text_update(6, CHAT, "1"))
    assert await telegram.replies(7, CHAT)  # the bot answers again
    said = await transcript(services, row.id)
    assert ("user", "Pasportimni olib qoʻyishdi") in said and ("user", "1") in said
    assert ("operator", "Qaysi shaharda siz?") in said
    assert said[-1] == ("event", "closed")
    dump = " ".join(await telegram.dump(("conversations", "handovers", "handover_lines")))
    assert str(CHAT) not in dump and "Pasportimni" not in dump


async def test_an_sms_user_talks_to_an_operator_and_back(sms: SmsServed) -> None:
    services = sms.services
    assert services.desk is not None
    await sms.sms(NUMBER, "3")  # Tajik
    await sms.sms(NUMBER, "0")  # 0 is always the operator
    texts = await sms.replies(NUMBER, 2)
    assert "дар навбат 1-ум" in texts[-1]

    row = await only_handover(services)
    assert (row.channel, row.lang, row.reason) == ("sms", "tg", "asked")
    rustam = await add_operator(services, "rustam", "tg,ru", display_name="Рустам")
    await services.desk.take(rustam, row.id)
    assert len(await sms.replies(NUMBER, 3)) == 3

    await sms.sms(NUMBER, "2")  # a number: for the operator, not a menu choice
    await sms.sms(NUMBER, "Маош намедиҳанд")
    assert await sms.settled()
    assert len(sms.texts(NUMBER)) == 3

    await services.desk.reply(rustam, row.id, "Чанд моҳ?")
    texts = await sms.replies(NUMBER, 4)
    assert texts[-1] == "Оператор Рустам: Чанд моҳ?"  # signed; no menu button listed

    await services.desk.hand_back(rustam, row.id)
    texts = await sms.replies(NUMBER, 5)
    assert "ба бот баргардонд" in texts[-1] and "\n1." in texts[-1].replace("\n1 ", "\n1.")
    await sms.sms(NUMBER, "1")
    assert len(await sms.replies(NUMBER, 6)) == 6
    said = await transcript(services, row.id)
    assert [s for k, s in said if k == "user"] == ["2", "Маош намедиҳанд"]
    dump = " ".join(await sms.dump(("conversations", "handovers", "handover_lines")))
    assert NUMBER not in dump and NUMBER[1:] not in dump


async def test_an_operator_reply_never_reaches_a_number_that_sent_stop(sms: SmsServed) -> None:
    """STOP means nothing more is sent, whoever writes: the bot or an operator."""
    services = sms.services
    assert services.desk is not None
    await sms.sms(NUMBER, "3")
    await sms.sms(NUMBER, "0")
    assert len(await sms.replies(NUMBER, 2)) == 2
    row = await only_handover(services)
    rustam = await add_operator(services, "rustam", "tg,ru")
    await services.desk.take(rustam, row.id)
    assert len(await sms.replies(NUMBER, 3)) == 3
    await sms.sms(NUMBER, "STOP")
    assert len(await sms.replies(NUMBER, 4)) == 4  # the confirmation, then silence
    await services.desk.reply(rustam, row.id, "Чанд моҳ?")
    await services.desk.hand_back(rustam, row.id)
    assert await sms.settled()
    await asyncio.sleep(0.3)
    assert len(sms.texts(NUMBER)) == 4


async def test_an_urgent_telegram_message_jumps_the_queue(telegram: Served) -> None:
    services = telegram.services
    post = telegram.post_update
    for n, chat in enumerate((8_001, 8_002)):
        await post(updates.text_update(10 + 3 * n, chat, "/start"))
        await post(updates.button_update(11 + 3 * n, chat, "lang:ru"))
    await post(updates.text_update(20, 8_001, "оператор"))
    await post(updates.text_update(21, 8_002, "хозяин забрал паспорт, нас заперли"))
    assert await telegram.settled()
    async with services.sessions() as session:
        order = [(row.urgent, row.reason) for row in await queue.waiting(session, ("ru",))]
    assert order == [(True, "danger"), (False, "asked")]
    urgent_reply = telegram.fake.sent(8_002)[-1].params["text"]
    assert "112" in urgent_reply and "1-й в очереди" in urgent_reply
