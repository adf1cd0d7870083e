"""Hostile input at every webhook the app serves (Telegram, Twilio inbound and status, the web
chat's posts), on SQLite and PostgreSQL: never a 5xx, never a crash, a malformed request is a
4xx, an odd but valid message gets a polite answer in the user's language, a replayed update is
answered once, and a normal user talking at the same time is answered fully and in order."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx

from tests.channels.telegram.conftest import PUBLIC_URL
from tests.fakes import updates
from tests.fakes.twilio_api import inbound_form, signature, status_form
from tests.hostile.site import (
    SMS_PATH,
    STATUS_PATH,
    TELEGRAM_PATH,
    WEB_PATHS,
    Site,
)

MB = 1024 * 1024
BAD_JSON: list[bytes] = [
    b"",
    b"{",
    b"{not json",
    b'{"update_id": 1,}',
    b"\xff\xfe\x00",
    b'{"update_id": 1, "message": {"text": "\xc3\x28"}}',  # invalid UTF-8 inside a string
    b"[" * 100_000 + b"]" * 100_000,  # nested far too deep for a JSON parser
    b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    b"NaN",
    b"\x00" * 100,
]
WRONG_SHAPES: list[Any] = [
    [],
    [1, 2],
    "update",
    17,
    None,
    True,
    {},
    {"update_id": None},
    {"update_id": "5"},
    {"update_id": 1.5},
    {"update_id": 10**30, "message": None},
    {"update_id": 7, "message": [], "callback_query": "x"},
    {"update_id": 8, "message": {"chat": None, "text": None, "from": None}},
    {"update_id": 9, "message": {"message_id": 1, "date": 1, "chat": {"id": 1e300}}},
    {"update_id": 10, "message": {"message_id": 1, "date": 10**20, "chat": {"id": 1}}},
    {"update_id": 11, "callback_query": {"id": None, "from": None, "data": {"x": 1}}},
    {"update_id": 12, "my_chat_member": {"chat": 5}},
    {"update_id": 13, "message": {"message_id": "x", "date": "today", "chat": {"id": "me"}}},
]


def telegram_message(update_id: int, chat: int, **fields: Any) -> dict[str, Any]:
    update = updates.text_update(update_id, chat, "x")
    update["message"].pop("text")
    update["message"].update(fields)
    return update


async def stream(size: int, piece: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < size:
        chunk = min(piece, size - sent)
        sent += chunk
        yield b"{" + b" " * (chunk - 1) if sent == chunk else b" " * chunk


async def test_malformed_bodies_are_4xx_everywhere(site: Site) -> None:
    async def web(path: str, body: Any) -> int:
        async with site.visitor() as browser:  # a fresh page each time: no rate limit
            return (await browser.post(path, body)).status_code

    for body in BAD_JSON:
        response = await site.post_raw(TELEGRAM_PATH, body)
        assert response.status_code == 400, (body[:40], response.status_code)
        for path in WEB_PATHS:
            assert 400 <= await web(path, body) < 500, (path, body[:40])
    for shape in WRONG_SHAPES:
        raw = json.dumps(shape).encode()
        answer = await site.post_raw(TELEGRAM_PATH, raw)
        assert answer.status_code in (200, 400), (shape, answer.status_code)
        for path in WEB_PATHS:
            assert await web(path, raw) == 400, (path, shape)
    # a web message of the wrong shape: the fields, not the JSON, are wrong
    for fields in (
        {"id": "x", "text": "hi"},
        {"id": str(uuid.uuid4())},
        {"id": str(uuid.uuid4()), "text": "a", "choice": "b"},
        {"id": str(uuid.uuid4()), "text": ["a"]},
        {"id": str(uuid.uuid4()), "text": "   "},
        {"id": str(uuid.uuid4()), "text": "я" * 4001},
        {"id": str(uuid.uuid4()), "choice": "é"},
        {"id": str(uuid.uuid4()), "choice": "x" * 65},
        {"id": str(uuid.uuid4()), "choice": 5},
        {"id": [str(uuid.uuid4())], "text": "hi"},
    ):
        assert await web("/chat/send", fields) == 400, fields
    assert await site.healthy()


async def test_malformed_forms_are_4xx(site: Site) -> None:
    good = inbound_form(from_="+998901234567", body="salom", message_sid="SM" + "e" * 32)
    signed_but_wrong: list[dict[str, str]] = [
        {},
        {"From": "+998901234567"},
        {"MessageSid": "SM" + "f" * 32},
        {**good, "From": ""},
        {**good, "MessageSid": ""},
    ]
    for form in signed_but_wrong:
        response = await site.post_signed(SMS_PATH, form)
        assert response.status_code == 400, (form, response.status_code)
    raw_bodies = [
        b"\xff\xfe",  # not UTF-8
        b"Body=%ff%fe&From=%2B1",  # percent-encoded invalid UTF-8: replaced, then unsigned
        b"a=1&a=2&&&=&%%%",
        b"=" * 10_000,
        json.dumps(good).encode(),
    ]
    for path in (SMS_PATH, STATUS_PATH):
        for body in raw_bodies:
            response = await site.post_raw(path, body, {"X-Twilio-Signature": "bm9wZQ=="})
            assert 400 <= response.status_code < 500, (path, body[:30], response.status_code)
    # a duplicated field after the signed ones: what is read must still be what was signed
    sig = signature(PUBLIC_URL + SMS_PATH, good, site.twilio.auth_token)
    duplicated = httpx.QueryParams([*good.items(), ("Body", "STOP")])
    response = await site.post_raw(
        SMS_PATH,
        str(duplicated).encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sig},
    )
    assert response.status_code == 403
    status = status_form(message_sid="SM" + "1" * 32, status="delivered", to="+998901234567")
    for odd in ({**status, "MessageStatus": "\x00"}, {**status, "ErrorCode": "21610", "To": ""}):
        response = await site.post_signed(STATUS_PATH, odd)
        assert response.status_code == 204, (odd, response.status_code)
    assert await site.healthy()


async def test_wrong_content_types_are_refused_or_read_safely(site: Site) -> None:
    update = json.dumps(updates.text_update(1, 700_000_001, "/start")).encode()
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        response = await site.post_raw(TELEGRAM_PATH, update, {"Content-Type": content_type})
        assert response.status_code == 200  # Telegram's body is JSON whatever the header says
    form = inbound_form(from_="+998901234567", body="salom", message_sid="SM" + "d" * 32)
    as_json = await site.post_raw(
        SMS_PATH, json.dumps(form).encode(), {"Content-Type": "application/json"}
    )
    assert as_json.status_code in (400, 403)
    async with site.visitor() as browser:
        body = json.dumps({"id": str(uuid.uuid4()), "text": "меню"}).encode()
        response = await browser.post("/chat/send", body, **{"Content-Type": "text/plain"})
        assert response.status_code in (202, 400, 415)
    assert await site.healthy()


async def test_bodies_over_a_megabyte_are_413_however_they_come(site: Site) -> None:
    big = b"{" + b" " * (MB + 10) + b"}"
    async with site.visitor() as browser:
        for path in (TELEGRAM_PATH, SMS_PATH, STATUS_PATH):
            # declared honestly, declared too small (a lying Content-Length), streamed chunked
            honest = await site.post_raw(path, big)
            assert honest.status_code == 413, (path, honest.status_code)
            chunked = await site.client.post(
                path,
                content=stream(MB + 100_000),
                headers={"X-Telegram-Bot-Api-Secret-Token": "test-webhook-secret"},
            )
            assert chunked.status_code in (403, 413), (path, chunked.status_code)
        for path in WEB_PATHS:
            assert (await browser.post(path, big)).status_code == 413
            streamed = await browser.client.post(
                path, content=stream(64 * 1024), headers={"X-Chat-Token": browser.token}
            )
            assert streamed.status_code == 413
    assert await lying_content_length(site) in (400, 413)
    assert await site.healthy()


async def lying_content_length(site: Site) -> int:
    """A request that says it is small and sends more than a megabyte: the server must read at
    most what is allowed and answer (or close), not buffer it all."""
    host, port = site.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = (
        f"POST {TELEGRAM_PATH} HTTP/1.1\r\nHost: {host}\r\n"
        "X-Telegram-Bot-Api-Secret-Token: test-webhook-secret\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    writer.write(head)
    try:
        for _ in range(20):
            writer.write(b"10000\r\n" + b" " * 0x10000 + b"\r\n")
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()
    except ConnectionError:
        pass
    line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    return int(line.split()[1]) if line else 413


ODD_TEXTS = [
    "\x00",
    "a\x00b\x01\x02\x1b[31m",
    "я" * 10_000,
    "🙂" * 3000,
    "\u202eتحقق\u202c שלום",
    "e" + "\u0301" * 500,
    "\ufeff\u200b\u200d",
    "<b>bold</b> & <script>alert(1)</script>",
    "{emergency_phone} {{}} %s %(x)s",
    "a\ud800b",  # a lone surrogate, as the JSON escape "\ud800" decodes
]


async def test_odd_but_valid_messages_get_a_polite_answer_in_the_users_language(
    site: Site,
) -> None:
    chats = [700_100_000 + n for n in range(len(ODD_TEXTS))]

    async def converse(chat: int, text: str) -> None:
        start = updates.load("start_payload", chat_id=chat, update_id=chat * 10, text="/start uz-x")
        assert (await site.post_update(start)).status_code == 200
        await site.telegram_replies(chat, 1)
        response = await site.post_update(updates.text_update(chat * 10 + 1, chat, text, "ru"))
        assert response.status_code == 200, (text[:20], response.status_code)

    await asyncio.gather(
        *(converse(chat, text) for chat, text in zip(chats, ODD_TEXTS, strict=True))
    )
    polite = {site.say("uz", key) for key in ("common.not_understood", "common.unsupported")}
    await site.settled()
    for chat, text in zip(chats, ODD_TEXTS, strict=True):
        replies = await site.telegram_replies(chat, 2)
        assert len(replies) == 2, (text[:20], [len(site.telegram_texts(c)) for c in chats])
        assert replies[1] in polite, (text[:20], replies[1])
    sticker = updates.load("sticker", chat_id=chats[0], update_id=50)
    assert (await site.post_update(sticker)).status_code == 200
    assert (await site.telegram_replies(chats[0], 3))[2] == site.say("uz", "common.unsupported")
    for call in site.telegram.sent():  # nothing a user wrote comes back as markup
        assert "<script>" not in str(call.params["text"])
    assert await site.healthy()


async def test_unknown_updates_edits_channels_and_groups_get_no_answer(site: Site) -> None:
    chat = 700_000_003
    group = -100_700_000_003
    strange: list[dict[str, Any]] = [
        {
            "message_reaction": {
                "chat": {"id": chat, "type": "private"},
                "message_id": 1,
                "date": 1,
                "old_reaction": [],
                "new_reaction": [],
            }
        },
        {
            "chat_boost": {
                "chat": {"id": group, "type": "channel"},
                "boost": {
                    "boost_id": "b",
                    "add_date": 1,
                    "expiration_date": 2,
                    "source": {
                        "source": "premium",
                        "user": {"id": 1, "is_bot": False, "first_name": "A"},
                    },
                },
            }
        },
        {
            "business_message": {
                "message_id": 1,
                "date": 1,
                "chat": {"id": chat, "type": "private"},
                "from": {"id": chat, "is_bot": False, "first_name": "A"},
                "business_connection_id": "bc",
                "text": "salom",
            }
        },
        {
            "purchased_paid_media": {
                "from": {"id": chat, "is_bot": False, "first_name": "A"},
                "paid_media_payload": "p",
            }
        },
        {"something_from_2030": {"id": 1, "nested": {"deeper": [1, 2, {"x": None}]}}},
        {"poll": updates.load("poll")["poll"]},
        {"edited_message": updates.load("edited_message")["edited_message"]},
        {"channel_post": updates.load("channel_post")["channel_post"]},
        {
            "message": {
                **updates.text_update(0, group, "меню")["message"],
                "chat": {"id": group, "type": "supergroup", "title": "G"},
            }
        },
    ]
    for number, body in enumerate(strange, start=1):
        response = await site.post_update({"update_id": number, **body})
        assert response.status_code in (200, 400), (body, response.status_code)
    await site.post_update(updates.text_update(100, chat, "/menu"))
    assert await site.telegram_replies(chat, 1)
    assert await site.settled()
    assert len(site.telegram.sent()) == 1  # only the menu, to the private chat


async def test_replayed_requests_are_answered_once_on_every_channel(site: Site) -> None:
    chat, phone = 700_000_004, "+998907770000"
    update = updates.text_update(1, chat, "/start", "ru")
    sid = "SM" + "7" * 32
    async with site.visitor() as browser, browser.events() as events:
        web_id = str(uuid.uuid4())
        answers = await asyncio.gather(
            *(site.post_update(update) for _ in range(5)),
            *(site.sms(phone, "salom", sid=sid) for _ in range(5)),
            *(browser.send(text="меню", id=web_id) for _ in range(5)),
        )
        assert {a.status_code for a in answers} <= {200, 202}
        assert await site.telegram_replies(chat, 1) and await site.sms_replies(phone, 1)
        await events.next()
        assert await site.settled()
        assert await events.quiet(0.5)
    assert len(site.telegram.sent(chat)) == 1 and len(site.sms_texts(phone)) == 1


async def test_a_normal_user_is_answered_fully_and_in_order_during_an_attack(site: Site) -> None:
    victim, attacker = 700_000_005, 700_000_006
    typed = ["/start", "1", "1", "меню", "2"]

    async def normal_user() -> None:
        for number, text in enumerate(typed, start=1000):
            response = await site.post_update(updates.text_update(number, victim, text))
            assert response.status_code == 200
            await site.telegram_replies(victim, number - 999)

    async def attack() -> None:
        bodies = [*BAD_JSON[:6], *(json.dumps(s).encode() for s in WRONG_SHAPES)]
        for round_ in range(3):
            for body in bodies:
                await site.post_raw(TELEGRAM_PATH, body)
            for number in range(10):
                text = "💣" * (1000 * number) or "\x00"
                await site.post_update(updates.text_update(round_ * 100 + number, attacker, text))
            await site.sms("+99890666" + f"{round_:04d}", "\x00" * 1500)

    await asyncio.gather(normal_user(), attack())
    replies = await site.telegram_replies(victim, len(typed))
    assert len(replies) == len(typed)
    sequential = []
    # the same conversation alone, on a fresh chat id, gives the same answers in the same order
    for number, text in enumerate(typed, start=2000):
        await site.post_update(updates.text_update(number, victim + 100, text))
        sequential = await site.telegram_replies(victim + 100, number - 1999)
    assert replies == sequential
    assert await site.healthy()


async def test_a_last_event_id_with_a_unicode_digit_opens_the_stream(site: Site) -> None:
    epoch = site.services.channels["web"].hub.replay.epoch
    async with (
        site.visitor() as browser,
        browser.client.stream("GET", "/chat/events", params={"last": f"{epoch}.¹"}) as response,
    ):
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("retry:"):
                break  # the stream is open: the odd id was ignored
    assert await site.healthy()
