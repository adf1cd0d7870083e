"""The fake Bot API, driven by the real python-telegram-bot client and by raw HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import threading
import time
import warnings

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.warnings import PTBDeprecationWarning

from tests.fakes import updates
from tests.fakes.telegram_api import FakeTelegram

CHAT = 5120348811
# Only for Update.de_json: building a Bot creates HTTP clients, which costs ~60 ms each time.
PARSER = Bot("123456:TEST-token")


def client(fake: FakeTelegram) -> Bot:
    return Bot(fake.token, base_url=f"{fake.url}/bot")


async def test_get_me_describes_the_bot() -> None:
    with FakeTelegram(token="987654:ABC", username="other_bot") as fake:
        async with client(fake) as bot:
            assert (bot.id, bot.username) == (987654, "other_bot")
            assert bot.first_name == "Helpline Test Bot"
            assert bot.bot.is_bot and bot.bot.can_join_groups
        assert [call.method for call in fake.calls] == ["getMe"]


async def test_send_message_records_decoded_keyboard() -> None:
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Patent", callback_data="topic:work_permit")]]
    )
    with FakeTelegram() as fake:
        async with client(fake) as bot:
            first = await bot.send_message(CHAT, "Mavzuni tanlang:", reply_markup=keyboard)
            second = await bot.send_message(CHAT, "Yana?")
            other = await bot.send_message(42, "Привет")
    assert (first.message_id, second.message_id, other.message_id) == (1, 2, 1)
    assert first.chat.id == CHAT and first.chat.type == "private"
    assert first.from_user is not None and first.from_user.is_bot
    assert first.reply_markup == keyboard
    assert second.reply_markup is None
    [call, _] = fake.sent(CHAT)
    assert call.params == {
        "chat_id": CHAT,
        "text": "Mavzuni tanlang:",
        "reply_markup": {
            "inline_keyboard": [[{"text": "Patent", "callback_data": "topic:work_permit"}]]
        },
    }
    assert call.status == 200 and len(fake.sent()) == 3


async def test_429_raises_retry_after_as_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 keeps RetryAfter.retry_after as a datetime.timedelta. Unless the environment
    # variable PTB_TIMEDELTA is "true" or "1" (read on every access), reading the attribute
    # returns an int and emits PTBDeprecationWarning, and so does constructing RetryAfter
    # (its __init__ reads the attribute): under filterwarnings=error a 429 would surface as that
    # warning instead of RetryAfter. With PTB_TIMEDELTA=true it is the timedelta, no warning:
    # read it as `exc.retry_after.total_seconds()`.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    with FakeTelegram() as fake:
        async with client(fake) as bot:
            fake.fail_next("sendMessage", 429, retry_after=3)
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(CHAT, "salom")
            assert caught.value.retry_after == dtm.timedelta(seconds=3)

            fake.fail_next("sendMessage", 429)
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(CHAT, "salom")
            assert caught.value.retry_after == dtm.timedelta(seconds=1)
            await bot.send_message(CHAT, "salom")
    assert [call.status for call in fake.calls_to("sendMessage")] == [429, 429, 200]
    monkeypatch.delenv("PTB_TIMEDELTA")
    with pytest.warns(PTBDeprecationWarning, match="retry_after"):
        assert caught.value.retry_after == 1


async def test_error_statuses_become_ptb_exceptions() -> None:
    expected = {403: Forbidden, 400: BadRequest, 500: NetworkError, 502: NetworkError}
    with FakeTelegram() as fake:
        async with client(fake) as bot:
            for status, error in expected.items():
                fake.fail_next("sendMessage", status, count=2)
                for _ in range(2):
                    with pytest.raises(error) as caught:
                        await bot.send_message(CHAT, "salom")
                    assert type(caught.value) is error
                if status == 403:
                    assert caught.value.message == "Forbidden: bot was blocked by the user"
                if status == 502:  # nginx's HTML page: PTB says it could not parse it
                    assert "Bad Gateway (502)" in caught.value.message
                await bot.send_message(CHAT, "salom")
    assert [call.status for call in fake.calls_to("sendMessage")] == [
        status for status in expected for status in (status, status, 200)
    ]


async def test_failures_can_target_one_chat() -> None:
    with FakeTelegram() as fake:
        async with client(fake) as bot:
            fake.fail_next("sendMessage", 403, chat_id=7)
            await bot.send_message(8, "ok")
            with pytest.raises(Forbidden):
                await bot.send_message(7, "blocked")
            await bot.send_message(7, "ok again")
    assert [(c.params["chat_id"], c.status) for c in fake.calls_to("sendMessage")] == [
        (8, 200),
        (7, 403),
        (7, 200),
    ]


async def test_validates_like_telegram() -> None:
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with FakeTelegram() as fake:
        async with client(fake) as bot:
            with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
                await bot.send_message(CHAT, " ")
            with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
                await bot.send_message(CHAT, "x", reply_markup=too_long)
            sent = await bot.send_message(CHAT, "Savol")
            edited = await bot.edit_message_text("Javob", chat_id=CHAT, message_id=sent.message_id)
            assert isinstance(edited, Message) and edited.edit_date is not None
            assert (edited.message_id, edited.text) == (sent.message_id, "Javob")
            with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
                await bot.edit_message_text("Javob", chat_id=CHAT, message_id=sent.message_id)


async def test_wrong_token_is_invalid_token() -> None:
    with FakeTelegram() as fake:
        with pytest.raises(InvalidToken, match="rejected by the server"):
            async with Bot("123456:wrong", base_url=f"{fake.url}/bot"):
                pass
        assert fake.calls[0].status == 401


async def test_commands_and_webhook_round_trip() -> None:
    with FakeTelegram() as fake:
        async with client(fake) as bot:
            await bot.set_my_commands([("menu", "Меню"), ("start", "Начать")], language_code="ru")
            assert [c.command for c in await bot.get_my_commands(language_code="ru")] == [
                "menu",
                "start",
            ]
            assert await bot.get_my_commands() == ()
            await bot.set_webhook("https://example.org/tg/hook", allowed_updates=["message"])
            info = await bot.get_webhook_info()
            assert (info.url, info.pending_update_count) == ("https://example.org/tg/hook", 0)
            assert await bot.delete_webhook()
            assert (await bot.get_webhook_info()).url == ""
    assert fake.calls_to("setWebhook")[0].params["allowed_updates"] == ["message"]


async def test_get_updates_honours_offset_and_limit() -> None:
    with FakeTelegram() as fake:
        async with client(fake) as bot:
            for update_id in (10, 11, 12):
                fake.push_update(updates.text_update(update_id, CHAT, f"savol {update_id}"))
            assert [u.update_id for u in await bot.get_updates()] == [10, 11, 12]
            assert [u.update_id for u in await bot.get_updates(offset=11, limit=1)] == [11]
            assert [u.update_id for u in await bot.get_updates()] == [11, 12]
            assert await bot.get_updates(offset=13) == ()
            assert await bot.get_updates() == ()


async def test_long_poll_returns_as_soon_as_an_update_arrives() -> None:
    with FakeTelegram() as fake:
        async with client(fake) as bot:
            timer = threading.Timer(0.1, fake.push_update, [updates.button_update(5, CHAT, "x")])
            timer.start()
            started = time.monotonic()
            [update] = await bot.get_updates(timeout=2)
            assert time.monotonic() - started < 1.0
            assert update.callback_query is not None and update.callback_query.data == "x"
            timer.join()


async def test_stop_ends_a_pending_long_poll() -> None:
    fake = FakeTelegram().start()
    async with client(fake) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=2))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await asyncio.to_thread(fake.stop)
        assert time.monotonic() - started < 1.0
        assert await poll == ()


async def test_flood_control_per_chat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    with FakeTelegram(rate_per_chat=20) as fake:  # one message per chat every 50 ms
        async with client(fake) as bot:
            await bot.send_message(1, "a")
            await bot.send_message(2, "a")
            with pytest.raises(RetryAfter):
                await bot.send_message(1, "b")
            await asyncio.sleep(0.05)
            await bot.send_message(1, "b")
    assert fake.throttled == 1
    assert [(c.params["chat_id"], c.status) for c in fake.calls_to("sendMessage")] == [
        (1, 200),
        (2, 200),
        (1, 429),
        (1, 200),
    ]


async def test_flood_control_global(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    with FakeTelegram(rate_global=5) as fake:
        async with client(fake) as bot:
            for chat_id in range(1, 6):
                await bot.send_message(chat_id, "a")
            with pytest.raises(RetryAfter):
                await bot.send_message(6, "a")
            assert fake.wait_until(lambda: time.monotonic() - fake.sent()[0].at >= 1.0)
            await bot.send_message(6, "a")
    assert fake.throttled == 1 and len(fake.sent()) == 6


def test_accepts_every_encoding_from_sync_code() -> None:
    with FakeTelegram() as fake, httpx.Client(base_url=f"{fake.url}/bot{fake.token}") as http:
        markup = {"inline_keyboard": [[{"text": "Ha", "callback_data": "yes"}]]}
        assert http.post("/sendMessage", json={"chat_id": "7", "text": "j", "reply_markup": markup})
        assert http.post("/SENDMESSAGE", data={"chat_id": "7", "text": "123"}).json()["ok"]
        assert http.get("/sendmessage", params={"chat_id": "7", "text": "true"}).json()["ok"]
        files = {"document": ("a.pdf", b"%PDF-1.4", "application/pdf")}
        multipart = http.post("/sendDocument", data={"chat_id": "7"}, files=files)
        unknown = http.post("/sendDocument", data={"chat_id": "7"})
        assert http.get("/sendMessage").json() == {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: chat_id is empty",
        }
    assert (multipart.status_code, unknown.json()["description"]) == (
        404,
        "Not Found: method not found",
    )
    params = [call.params for call in fake.sent(7)]
    assert params[0]["reply_markup"] == markup
    assert [p["text"] for p in params] == ["j", "123", "true"]
    assert fake.calls[3].params == {
        "chat_id": 7,
        "document": {"filename": "a.pdf", "content_type": "application/pdf", "size": 8},
    }


@pytest.mark.parametrize("name", updates.names())
def test_fixture_parses_without_warnings(name: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        update = Update.de_json(updates.load(name), PARSER)
    assert not caught, [str(w.message) for w in caught]
    assert update.update_id > 0


def test_load_replaces_fields_consistently() -> None:
    update = Update.de_json(updates.text_update(9, 42, "/start tg-bus", language_code="tg"), PARSER)
    assert update.message is not None and update.effective_user is not None
    assert update.message.chat.id == update.effective_user.id == 42
    assert update.effective_user.language_code == "tg"
    assert update.message.parse_entities(["bot_command"]) == {update.message.entities[0]: "/start"}
    plain = updates.load("start_plain", text="Салом")
    assert "entities" not in plain["message"]
    contact = updates.load("contact", chat_id=77)["message"]
    assert contact["contact"]["user_id"] == contact["from"]["id"] == 77
    press = Update.de_json(updates.button_update(3, 42, "topic:quota"), PARSER)
    assert press.callback_query is not None and press.callback_query.data == "topic:quota"
    assert press.effective_chat is not None and press.effective_chat.id == 42
    assert updates.load("text") == updates.load("text")
    with pytest.raises(ValueError, match="not a callback query"):
        updates.load("text", data="x")
