"""Telegram Update payloads as the Bot API delivers them, from ``tests/fixtures/telegram/``.

Each fixture is a complete update with fictional people; :func:`load` returns a fresh copy with
the ids, text or button data a test needs swapped in consistently.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "telegram"
# Update fields that carry a Message, in the order the Bot API documents them.
_MESSAGE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post")


def names() -> list[str]:
    """Every fixture name, for tests that go through them all."""
    return sorted(path.stem for path in FIXTURES.glob("*.json"))


@cache
def _read(name: str) -> dict[str, Any]:
    data = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{name}.json is not an Update object")
    return data


def _payload(update: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kind = next(key for key in update if key != "update_id")
    payload = update[kind]
    return kind, payload


def _chat_of(kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    holder = payload.get("message", {}) if kind == "callback_query" else payload
    chat = holder.get("chat")
    return chat if isinstance(chat, dict) else None


def _replace_ids(node: Any, old: int, new: int) -> None:
    """Replace the chat's id wherever it occurs: chat.id, and from.id/user_id in private chats."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("id", "user_id") and value == old:
                node[key] = new
            else:
                _replace_ids(value, old, new)
    elif isinstance(node, list):
        for item in node:
            _replace_ids(item, old, new)


def _set_language(node: Any, language_code: str) -> None:
    """Give every human user in the update this app language (bots have none)."""
    if isinstance(node, dict):
        if node.get("is_bot") is False:
            node["language_code"] = language_code
        for value in node.values():
            _set_language(value, language_code)
    elif isinstance(node, list):
        for item in node:
            _set_language(item, language_code)


def _utf16_length(text: str) -> int:
    # Entity offsets and lengths count UTF-16 code units, not Python characters.
    return len(text.encode("utf-16-le")) // 2


def _set_text(name: str, kind: str, payload: dict[str, Any], text: str) -> None:
    if kind not in _MESSAGE_KINDS or "text" not in payload:
        raise ValueError(f"fixture {name!r} is not a text message")
    payload["text"] = text
    payload.pop("entities", None)
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        payload["entities"] = [
            {"offset": 0, "length": _utf16_length(command), "type": "bot_command"}
        ]


def load(
    name: str,
    *,
    update_id: int | None = None,
    chat_id: int | None = None,
    text: str | None = None,
    data: str | None = None,
    language_code: str | None = None,
) -> dict[str, Any]:
    """A deep copy of fixture ``name`` with the given fields replaced wherever they occur.

    ``chat_id`` replaces the chat's id and, in private chats (where they are equal), the user's
    id too; ``text`` replaces a message's text and makes its entities match (a leading
    bot_command or none); ``data`` replaces a callback query's data.
    """
    update = copy.deepcopy(_read(name))
    kind, payload = _payload(update)
    if update_id is not None:
        update["update_id"] = update_id
    if chat_id is not None:
        chat = _chat_of(kind, payload)
        if chat is None:
            raise ValueError(f"fixture {name!r} has no chat")
        _replace_ids(payload, chat["id"], chat_id)
    if text is not None:
        _set_text(name, kind, payload, text)
    if data is not None:
        if kind != "callback_query":
            raise ValueError(f"fixture {name!r} is not a callback query")
        payload["data"] = data
    if language_code is not None:
        _set_language(payload, language_code)
    return update


def text_update(
    update_id: int, chat_id: int, text: str, language_code: str = "ru"
) -> dict[str, Any]:
    """A private text message (a command when ``text`` starts with "/")."""
    return load(
        "text", update_id=update_id, chat_id=chat_id, text=text, language_code=language_code
    )


def button_update(
    update_id: int, chat_id: int, data: str, language_code: str = "ru"
) -> dict[str, Any]:
    """A press of an inline keyboard button carrying ``data``."""
    return load(
        "callback_query",
        update_id=update_id,
        chat_id=chat_id,
        data=data,
        language_code=language_code,
    )
