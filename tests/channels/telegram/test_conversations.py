"""Done-when of the Telegram issue: through the webhook, with buttons, a conversation in each
language reaches every topic, and each answer is the one the golden transcript records."""

from __future__ import annotations

import asyncio
import html
import json
from pathlib import Path
from typing import Any

from bot import LANGUAGES, TOPICS
from tests.channels.telegram.conftest import Served
from tests.fakes import updates

GOLDEN = Path(__file__).resolve().parents[2] / "golden"


def golden(lang: str, topic: str) -> tuple[list[str], list[dict[str, Any]]]:
    lines = (GOLDEN / lang / f"{topic}.jsonl").read_text().splitlines()
    typed = json.loads(lines[0])["typed"]
    return typed, [json.loads(line) for line in lines[1:]]


def buttons(call_params: dict[str, Any]) -> dict[str, str]:
    keyboard = call_params.get("reply_markup", {}).get("inline_keyboard", [])
    return {button["text"]: button["callback_data"] for row in keyboard for button in row}


async def walk(served: Served, chat: int, lang: str, topic: str, first_id: int) -> None:
    typed, screens = golden(lang, topic)
    await served.post_update(
        updates.load("start_payload", chat_id=chat, update_id=first_id, text=f"/start {lang}")
    )
    assert await served.replies(1, chat)
    for step, number in enumerate(typed):
        screen = screens[step]
        label = screen["options"][screen["numbers"].index(int(number))]
        data = buttons(served.fake.sent(chat)[-1].params)[label]
        press = updates.button_update(first_id + step + 1, chat, data)
        assert (await served.post_update(press)).status_code == 200
        assert await served.replies(step + 2, chat)
        reply = served.fake.sent(chat)[-1].params
        expected = screens[step + 1]
        assert html.unescape(reply["text"]) == expected["text"], (lang, topic, step)
        assert list(buttons(reply)) == expected["options"]
    assert screens[len(typed)]["topic"] == topic


async def test_every_topic_in_every_language_through_the_webhook(served: Served) -> None:
    walks = []
    for li, lang in enumerate(LANGUAGES):
        for ti, topic in enumerate(TOPICS):
            chat = 600_000 + li * 100 + ti
            walks.append(walk(served, chat, lang, topic, first_id=(li * 100 + ti) * 100))
    await asyncio.gather(*walks)
    assert len({int(c.params["chat_id"]) for c in served.fake.sent()}) == len(walks)
