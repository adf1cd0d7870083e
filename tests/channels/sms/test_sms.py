"""SMS end to end: the real server, the real twilio client and a fake Twilio API."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import LANGUAGES, TOPICS
from bot.cli.serve import service_logging
from bot.delivery.tables import InboxItem
from bot.retention import purge_now
from bot.stats.tables import DeliveryCount, TopicCount
from bot.storage.tables import Conversation
from tests.channels.sms.conftest import PUBLIC_URL, SmsServed, sms_settings
from tests.channels.telegram.test_conversations import golden
from tests.fakes.twilio_api import FakeTwilio, inbound_form, signature, status_form
from tests.serving import running

PHONE = "+998901234567"
STATUS = "/sms/twilio/status"


def say(served: SmsServed, lang: str, key: str) -> str:
    return served.services.content.engine.texts.render(lang, key, sms=True)


async def test_forged_and_unsigned_requests_are_refused(sms_served: SmsServed) -> None:
    form = inbound_form(from_=PHONE, body="salom", message_sid="SM" + "1" * 32)
    unsigned = await sms_served.client.post("/sms/twilio", data=form)
    assert unsigned.status_code == 403
    assert (await sms_served.post_signed("/sms/twilio", form, token="forged")).status_code == 403
    sig = signature(PUBLIC_URL + "/sms/twilio", form, sms_served.fake.auth_token)
    tampered = {**form, "Body": "something else"}
    response = await sms_served.client.post(
        "/sms/twilio", data=tampered, headers={"X-Twilio-Signature": sig}
    )
    assert response.status_code == 403
    status = status_form(message_sid="SM" + "2" * 32, status="delivered", to=PHONE)
    assert (await sms_served.client.post("/sms/twilio/status", data=status)).status_code == 403
    async with sms_served.services.sessions() as session:
        assert (await session.scalars(select(InboxItem))).all() == []


async def test_a_repeated_message_sid_is_answered_once(sms_served: SmsServed) -> None:
    for _ in range(3):
        response = await sms_served.sms(PHONE, "salom", sid="SM" + "3" * 32)
        assert response.status_code == 200
        assert "<Response>" in response.text
    assert len(await sms_served.replies(PHONE, 1)) == 1
    await sms_served.sms(PHONE, "2")
    assert len(await sms_served.replies(PHONE, 2)) == 2
    await asyncio.sleep(0.2)
    assert len(sms_served.texts(PHONE)) == 2


async def test_digits_only_reach_every_topic_in_every_language(sms_served: SmsServed) -> None:
    async def walk(number: str, lang: str, topic: str) -> None:
        typed, _ = golden(lang, topic)
        await sms_served.sms(number, "?")  # the language question comes first
        await sms_served.replies(number, 1)
        lines = [str(LANGUAGES.index(lang) + 1), *typed]
        for count, digits in enumerate(lines, start=2):
            await sms_served.sms(number, digits)
            assert len(await sms_served.replies(number, count)) == count, (lang, topic)

    walks = [
        walk(f"+99890{li}{ti:06d}", lang, topic)
        for li, lang in enumerate(LANGUAGES)
        for ti, topic in enumerate(TOPICS)
    ]
    await asyncio.gather(*walks)
    async with sms_served.services.sessions() as session:
        rows = (await session.scalars(select(TopicCount))).all()
    reached = {(row.lang, row.topic) for row in rows if row.channel == "sms"}
    assert reached == {(lang, topic) for lang in LANGUAGES for topic in TOPICS}


async def test_every_reply_is_numbered_and_within_the_segment_budget(
    sms_served: SmsServed,
) -> None:
    from bot.channels.sms_segments import sms_cost

    await sms_served.sms(PHONE, "3")  # Tajik
    await sms_served.sms(PHONE, "1")
    await sms_served.sms(PHONE, "1")
    replies = await sms_served.replies(PHONE, 3)
    assert len(replies) == 3
    assert all(sms_cost(body).segments <= 3 for body in replies)
    assert "\n0 " in replies[1]  # the operator is always 0


async def test_stop_silences_until_start(sms_served: SmsServed) -> None:
    await sms_served.sms(PHONE, "salom")
    await sms_served.sms(PHONE, "2")
    assert len(await sms_served.replies(PHONE, 2)) == 2
    await sms_served.sms(PHONE, "STOP")
    replies = await sms_served.replies(PHONE, 3)
    assert replies[2] == say(sms_served, "uz", "sms.stopped")
    await sms_served.sms(PHONE, "1")
    await sms_served.sms(PHONE, "menyu")
    assert await sms_served.settled()
    await asyncio.sleep(0.2)
    assert len(sms_served.texts(PHONE)) == 3
    await sms_served.sms(PHONE, "start")
    replies = await sms_served.replies(PHONE, 4)
    assert replies[3].startswith(say(sms_served, "uz", "sms.started"))


async def test_a_long_answer_is_paged_and_continued_on_more(
    tmp_path: Path, database_url: str, fake_twilio: FakeTwilio
) -> None:
    # the shipped answers fit SMS_MAX_SEGMENTS=3 with their options; with 2 they are paged
    settings = sms_settings(tmp_path, database_url, fake_twilio, SMS_MAX_SEGMENTS="2")
    async with running(settings) as run:
        served = SmsServed(run.url, run.client, run.services, fake_twilio)
        await paged_and_continued(served)


async def paged_and_continued(sms_served: SmsServed) -> None:
    number = "+79161234567"
    for typed in ("1", "1", "1"):  # Russian, work permit, Uzbekistan: an answer with 7 options
        await sms_served.sms(number, typed)
    replies = await sms_served.replies(number, 3)
    hint = say(sms_served, "ru", "sms.more_hint")
    assert replies[2].endswith(hint)
    assert "\n0 " not in replies[2]  # the options wait for the last page
    await sms_served.sms(number, "ещё")
    replies = await sms_served.replies(number, 4)
    assert len(replies) == 4
    assert hint not in replies[3]
    assert replies[3].startswith("1 ") and "\n0 " in replies[3]
    await sms_served.sms(number, "1")  # the options shown on the last page work
    replies = await sms_served.replies(number, 5)
    assert len(replies) == 5


async def test_an_opted_out_recipient_is_marked_and_not_retried(sms_served: SmsServed) -> None:
    sms_served.fake.fail_next(400, code=21610)
    await sms_served.sms(PHONE, "salom")
    assert await sms_served.settled()
    await asyncio.sleep(0.3)
    assert [c.status for c in sms_served.fake.calls if c.method == "POST"] == [400]
    async with sms_served.services.sessions() as session:
        (row,) = (await session.scalars(select(Conversation))).all()
        assert row.blocked


async def delivery_counts(served: SmsServed) -> dict[str, int]:
    async with served.services.sessions() as session:
        rows = (await session.scalars(select(DeliveryCount))).all()
    return {r.status: r.count for r in rows}


async def test_delivery_reports_are_counted(sms_served: SmsServed) -> None:
    for digit, status in (("4", "delivered"), ("5", "delivered"), ("6", "failed"), ("7", "sent")):
        form = status_form(message_sid="SM" + digit * 32, status=status, to=PHONE)
        response = await sms_served.post_signed("/sms/twilio/status", form)
        assert response.status_code == 204
    assert await delivery_counts(sms_served) == {"delivered": 2, "failed": 1}


async def test_a_replayed_delivery_report_is_counted_once(sms_served: SmsServed) -> None:
    sid = "SM" + "8" * 32
    delivered = status_form(message_sid=sid, status="delivered", to=PHONE)
    replies = await asyncio.gather(
        *(sms_served.post_signed("/sms/twilio/status", delivered) for _ in range(10))
    )
    assert [r.status_code for r in replies] == [204] * 10
    assert await delivery_counts(sms_served) == {"delivered": 1}
    undelivered = status_form(message_sid=sid, status="undelivered", to=PHONE, error_code="30003")
    for _ in range(3):  # another status of the same message is news, once
        response = await sms_served.post_signed("/sms/twilio/status", undelivered)
        assert response.status_code == 204
    assert await delivery_counts(sms_served) == {"delivered": 1, "undelivered": 1}
    for odd in ("", "SM\x00" + "8" * 30, "SM" + "8" * 70):  # signed, yet no MessageSid
        response = await sms_served.post_signed(STATUS, {**delivered, "MessageSid": odd})
        assert response.status_code == 400
    sessions, services = sms_served.services.sessions, sms_served.services
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    await purge_now(sessions, services.settings, now=later)  # what was remembered goes too
    async with sessions() as session:
        assert (await session.scalars(select(InboxItem.external_id))).all() == []


async def test_no_phone_number_anywhere_in_the_database(sms_served: SmsServed) -> None:
    await sms_served.sms(PHONE, "salom")
    await sms_served.sms(PHONE, "2")
    await sms_served.sms(PHONE, "1")
    assert len(await sms_served.replies(PHONE, 3)) == 3
    sms_served.fake.fail_next(500, count=10)  # keep a reply waiting in the outbox
    await sms_served.sms(PHONE, "1")
    await asyncio.sleep(0.3)
    dump = await sms_served.dump()
    everything = "\n".join(dump)
    assert dump
    assert PHONE not in everything and PHONE.lstrip("+") not in everything
    assert "901234567" not in everything


async def opt_out(served: SmsServed, number: str, kind: str, body: str) -> None:
    """An inbound SMS as Twilio's Advanced Opt-Out posts it: Twilio matched `body` to one of
    its own keywords (in any language it was configured with) and says which in OptOutType."""
    form = inbound_form(from_=number, body=body, message_sid=f"SM{kind}{number[1:]:0>30}")
    response = await served.post_signed("/sms/twilio", {**form, "OptOutType": kind})
    assert response.status_code == 200


async def test_twilio_opt_out_type_is_honoured(sms_served: SmsServed) -> None:
    await sms_served.sms(PHONE, "salom")
    await sms_served.sms(PHONE, "2")
    assert len(await sms_served.replies(PHONE, 2)) == 2
    await opt_out(sms_served, PHONE, "STOP", "Arrêtez")  # no stop word of ours
    await sms_served.sms(PHONE, "1")
    await sms_served.sms(PHONE, "menyu")
    assert await sms_served.settled()
    await asyncio.sleep(0.2)
    assert len(sms_served.texts(PHONE)) == 2  # not even a confirmation: Twilio sends its own
    other = "+998907654321"
    await sms_served.sms(other, "salom")
    await sms_served.sms(other, "stop")  # our own word counts the same
    assert len(await sms_served.replies(other, 2)) == 2
    assert await sms_served.settled()
    assert await delivery_counts(sms_served) == {"opted_out": 2}
    await opt_out(sms_served, PHONE, "START", "Reprendre")
    replies = await sms_served.replies(PHONE, 3)
    assert len(replies) == 3 and replies[2].startswith(say(sms_served, "uz", "sms.started"))
    await opt_out(sms_served, PHONE, "HELP", "Aide")
    assert (await sms_served.replies(PHONE, 4))[3] == say(sms_served, "uz", "sms.help")


async def test_a_report_replayed_to_two_servers_at_once_is_counted_once(
    tmp_path: Path, database_url: str, fake_twilio: FakeTwilio
) -> None:
    """Two servers on one database (as several processes run behind a balancer)."""
    settings = sms_settings(tmp_path, database_url, fake_twilio)
    form = status_form(message_sid="SM" + "a" * 32, status="delivered", to=PHONE)
    headers = {"X-Twilio-Signature": signature(PUBLIC_URL + STATUS, form, fake_twilio.auth_token)}
    async with running(settings) as one, running(settings) as two:
        replies = await asyncio.gather(
            *(
                served.client.post(STATUS, data=form, headers=headers)
                for served in (one, two)
                for _ in range(5)
            )
        )
        assert [r.status_code for r in replies] == [204] * 10
        async with one.services.sessions() as session:
            rows = (await session.scalars(select(DeliveryCount))).all()
    assert {r.status: r.count for r in rows} == {"delivered": 1}


async def test_sending_logs_no_twilio_chatter_at_the_serve_level(
    sms_served: SmsServed, caplog: pytest.LogCaptureFixture
) -> None:
    """twilio's async client logs ten INFO lines per message (URL, headers, response): under
    `serve` they would be most of the log."""
    names = ("", "httpx", "twilio", "twilio.http_client", "twilio.async_http_client")
    levels = {name: logging.getLogger(name).level for name in names}
    service_logging()
    try:
        await sms_served.sms(PHONE, "salom")
        assert len(await sms_served.replies(PHONE, 1)) == 1
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    chatter = [r for r in caplog.records if r.name.startswith("twilio") and r.levelno < 30]
    assert chatter == []
