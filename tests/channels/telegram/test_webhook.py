"""The webhook end to end: the real server, the real PTB client and a fake Bot API."""

from __future__ import annotations

import html
import json

from sqlalchemy import select

from bot.delivery.tables import InboxItem, OutboxItem
from bot.storage.tables import Conversation
from tests.channels.telegram.conftest import SECRET, Served
from tests.fakes import updates

CHAT = 700100200


def texts_of(served: Served, chat_id: int = CHAT) -> list[str]:
    return [html.unescape(str(call.params["text"])) for call in served.fake.sent(chat_id)]


def render(served: Served, lang: str, key: str) -> str:
    return served.services.content.engine.texts.render(lang, key)


async def test_missing_or_wrong_secret_is_refused(served: Served) -> None:
    update = updates.text_update(1, CHAT, "salom")
    assert (await served.post_update(update, secret="wrong")).status_code == 403
    response = await served.client.post("/telegram/webhook", json=update)
    assert response.status_code == 403
    async with served.services.sessions() as session:
        assert (await session.scalars(select(InboxItem))).all() == []


async def test_malformed_and_oversized_bodies_get_4xx(served: Served) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    for body in (b"{not json", b"[1, 2]", b'{"update_id": "x"}', b"\xff\xfe\x00"):
        response = await served.client.post("/telegram/webhook", content=body, headers=headers)
        assert response.status_code == 400, body
    big = json.dumps({"update_id": 5, "message": {"text": "x" * 1_100_000}}).encode()
    response = await served.client.post("/telegram/webhook", content=big, headers=headers)
    assert response.status_code == 413


async def test_setup_registers_webhook_with_secret_and_commands_in_three_languages(
    served: Served,
) -> None:
    webhook = served.fake.calls_to("setWebhook")[-1].params
    assert webhook["url"] == "https://helpline.example.org/telegram/webhook"
    assert webhook["secret_token"] == SECRET
    languages = {c.params.get("language_code") for c in served.fake.calls_to("setMyCommands")}
    assert languages == {None, "ru", "uz", "tg"}
    for call in served.fake.calls_to("setMyCommands"):
        names = [c["command"] for c in call.params["commands"]]
        assert names == ["start", "menu", "language", "operator", "help", "forget"]


async def test_a_text_gets_an_answer_with_inline_buttons(served: Served) -> None:
    response = await served.post_update(updates.load("start_plain", chat_id=CHAT, update_id=10))
    assert response.status_code == 200
    assert await served.replies(1, CHAT)
    first = served.fake.sent(CHAT)[0]
    assert first.params["parse_mode"] == "HTML"
    keyboard = first.params["reply_markup"]["inline_keyboard"]
    data = [button["callback_data"] for row in keyboard for button in row]
    assert all(len(d.encode()) <= 64 and d.isascii() for d in data)


async def test_a_redelivered_update_is_answered_once(served: Served) -> None:
    update = updates.load("start_payload", chat_id=CHAT, update_id=20)
    for _ in range(3):
        assert (await served.post_update(update)).status_code == 200
    assert await served.replies(1, CHAT)
    later = updates.text_update(21, CHAT, "1")
    assert (await served.post_update(later)).status_code == 200
    assert await served.replies(2, CHAT)
    assert len(served.fake.sent(CHAT)) == 2


async def test_start_payload_sets_language(served: Served) -> None:
    update = updates.load("start_payload", chat_id=CHAT, update_id=30, text="/start tg-metro")
    await served.post_update(update)
    assert await served.replies(1, CHAT)
    assert texts_of(served)[0].startswith(render(served, "tg", "common.welcome"))


async def test_app_language_preselects_and_offers_the_others(served: Served) -> None:
    update = updates.load("start_plain", chat_id=CHAT, update_id=31, language_code="uz")
    await served.post_update(update)
    assert await served.replies(1, CHAT)
    assert texts_of(served)[0].startswith(render(served, "uz", "common.welcome"))
    keyboard = served.fake.sent(CHAT)[0].params["reply_markup"]["inline_keyboard"]
    data = {button["callback_data"] for row in keyboard for button in row}
    assert {"lang:ru", "lang:tg"} <= data
    await served.post_update(updates.button_update(32, CHAT, "lang:tg"))
    assert await served.replies(2, CHAT)
    assert texts_of(served)[1].startswith(render(served, "tg", "common.welcome"))


async def test_a_button_press_is_answered_and_acknowledged(served: Served) -> None:
    await served.post_update(updates.load("start_payload", chat_id=CHAT, update_id=40))
    assert await served.replies(1, CHAT)
    keyboard = served.fake.sent(CHAT)[0].params["reply_markup"]["inline_keyboard"]
    first_topic = keyboard[0][0]["callback_data"]
    press = updates.load("callback_query", chat_id=CHAT, update_id=41, data=first_topic)
    await served.post_update(press)
    assert await served.replies(2, CHAT)
    acked = [c.params["callback_query_id"] for c in served.fake.calls_to("answerCallbackQuery")]
    assert press["callback_query"]["id"] in acked


async def test_what_is_not_text_gets_a_polite_answer_in_the_users_language(
    served: Served,
) -> None:
    await served.post_update(updates.load("start_payload", chat_id=CHAT, update_id=50))
    assert await served.replies(1, CHAT)
    kinds = ["photo", "voice", "sticker", "location", "document", "contact"]
    for number, kind in enumerate(kinds, start=51):
        update = updates.load(kind, chat_id=CHAT, update_id=number)
        update.get("message", {}).pop("caption", None)
        assert (await served.post_update(update)).status_code == 200
    assert await served.replies(1 + len(kinds), CHAT)
    polite = render(served, "uz", "common.unsupported")
    assert texts_of(served)[1:] == [polite] * len(kinds)


async def test_edits_group_events_and_unknown_updates_are_ignored(served: Served) -> None:
    names = ["edited_message", "new_chat_members", "left_chat_member", "channel_post", "poll"]
    for number, name in enumerate(names, start=60):
        assert (await served.post_update(updates.load(name, update_id=number))).status_code == 200
    await served.post_update(updates.text_update(70, CHAT, "/menu"))
    assert await served.replies(1, CHAT)
    assert len(served.fake.sent()) == 1


async def test_blocking_the_bot_is_remembered(served: Served) -> None:
    await served.post_update(updates.load("start_payload", chat_id=CHAT, update_id=80))
    assert await served.replies(1, CHAT)
    kicked = updates.load("my_chat_member_kicked", chat_id=CHAT, update_id=81)
    assert (await served.post_update(kicked)).status_code == 200
    cid = served.services.conversations.conversation_id("telegram", str(CHAT))

    async def blocked() -> bool:
        async with served.services.sessions() as session:
            row = await session.get(Conversation, cid)
            return bool(row and row.blocked)

    for _ in range(200):
        if await blocked():
            break
        await _tick()
    assert await blocked()
    await served.post_update(updates.text_update(82, CHAT, "/menu"))
    assert await served.replies(2, CHAT)
    assert not await blocked()


async def test_forget_deletes_everything_and_confirms(served: Served) -> None:
    await served.post_update(updates.load("start_payload", chat_id=CHAT, update_id=90))
    await served.post_update(updates.text_update(91, CHAT, "1"))
    assert await served.replies(2, CHAT)
    await served.post_update(
        updates.load("command_menu", chat_id=CHAT, update_id=92, text="/forget")
    )
    assert await served.replies(3, CHAT)
    assert texts_of(served)[2] == render(served, "uz", "common.forgotten")
    assert await served.settled()
    async with served.services.sessions() as session:
        assert (await session.scalars(select(Conversation))).all() == []
        assert (await session.scalars(select(OutboxItem))).all() == []
        items = (await session.scalars(select(InboxItem))).all()
        assert [(i.conversation_id, i.body) for i in items] == [(None, None)] * len(items)


async def _tick() -> None:
    import asyncio

    await asyncio.sleep(0.02)
