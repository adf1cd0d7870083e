"""Turning a Telegram update (a webhook's JSON, or an update python-telegram-bot fetched) into a
neutral Inbound.

Only private chats are served: the bot is a confidential helpline, not a group member. What a
user would not expect an answer to (an edited message, group events, unknown update kinds) is
recorded for deduplication and otherwise ignored.
"""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot import LANGUAGES
from bot.channels.telegram import CHANNEL
from bot.channels.telegram.deeplink import from_telegram_start, parse_start_payload
from bot.delivery.inbound import BLOCKED, IGNORE, START, UNBLOCKED, Inbound


class MalformedUpdate(ValueError):
    """The body is not a Bot API update."""


PARSE_ERRORS = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    OverflowError,
    IndexError,
    RecursionError,
)
"""What PTB's parsing and our reading raise on a payload of the wrong shape (or absurdly deep)."""


def read(data: Any) -> Inbound:
    """A webhook body as an Inbound; anything not shaped like a Bot API update (a missing chat,
    a number where text belongs...) raises MalformedUpdate, never anything else.

    The body is read as the plain JSON it is, for the few fields a turn needs, each checked for
    its type: building python-telegram-bot's objects for every part of it took a fifth of a
    webhook's time under a burst. Updates from getUpdates (PTB objects) come through `to_inbound`.
    """
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        raise MalformedUpdate("not an update: an object with an integer update_id is expected")
    try:
        inbound = _inbound(data)
    except PARSE_ERRORS as error:
        raise MalformedUpdate(f"not a valid update: {error!r}") from error
    for name, value in vars(inbound.body()).items():
        if value is not None and not isinstance(value, str):
            raise MalformedUpdate(f"not a valid update: {name} is not a string")
    return inbound


def to_inbound(update: Update) -> Inbound:
    """An update python-telegram-bot parsed (long polling) as an Inbound; PARSE_ERRORS when
    its shape is not one `read` accepts."""
    try:
        return read(update.to_dict())
    except MalformedUpdate as error:
        raise ValueError(str(error)) from error


def language_hint(code: str | None) -> str | None:
    """The user's app language (IETF tag such as 'uz' or 'ru-RU') when it is one we serve."""
    if not code:
        return None
    primary = code.split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else None


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"{what} is not an object")
    return value


def _optional_text(holder: dict[str, Any], name: str) -> str | None:
    value = holder.get(name)
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} is not a string")
    return value


def _hint(user: dict[str, Any]) -> str | None:
    return language_hint(_optional_text(user, "language_code"))


def _private(chat: dict[str, Any]) -> bool:
    return chat.get("type") == "private"


def _inbound(data: dict[str, Any]) -> Inbound:
    external_id = str(data["update_id"])
    ignored = Inbound(CHANNEL, external_id, kind=IGNORE)
    if data.get("callback_query") is not None:
        query = _object(data["callback_query"], "callback_query")
        user = _object(query["from"], "from")
        message = query.get("message")
        chat = _object(_object(message, "message")["chat"], "chat") if message else None
        if chat is not None and not _private(chat):
            return ignored
        chat_id = _id(chat["id"] if chat is not None else user["id"])
        query_id = query["id"]
        if not isinstance(query_id, str):
            raise TypeError("callback_query id is not a string")
        return Inbound(
            CHANNEL,
            external_id,
            user_id=chat_id,
            address=chat_id,
            choice=_optional_text(query, "data") or "",
            lang_hint=_hint(user),
            ack=query_id,
        )
    if data.get("my_chat_member") is not None:
        change = _object(data["my_chat_member"], "my_chat_member")
        chat = _object(change["chat"], "chat")
        if not _private(chat):
            return ignored
        status = _object(change["new_chat_member"], "new_chat_member")["status"]
        if status not in ("member", "kicked"):
            return ignored
        kind = UNBLOCKED if status == "member" else BLOCKED
        return Inbound(CHANNEL, external_id, user_id=_id(chat["id"]), kind=kind)
    if data.get("message") is not None:
        return _message(external_id, _object(data["message"], "message")) or ignored
    return ignored


LATEST_DATE = 253_402_300_799
"""The last second of the year 9999: a message's date past it is no date."""


def _check_message(message: dict[str, Any]) -> None:
    """What every Bot API message has, of the right types (a message without them is no
    message, whatever else it holds)."""
    if type(message["message_id"]) is not int:
        raise TypeError("message_id is not an integer")
    date = message["date"]
    if type(date) is not int or not 0 <= date <= LATEST_DATE:
        raise ValueError("date is not a Unix time")
    for name in ("entities", "caption_entities", "new_chat_members", "photo"):
        if not isinstance(message.get(name, []), list):
            raise TypeError(f"{name} is not a list")


def _message(external_id: str, message: dict[str, Any]) -> Inbound | None:
    _check_message(message)
    chat = _object(message["chat"], "chat")
    user = message.get("from")
    if not _private(chat) or user is None:
        return None
    if message.get("new_chat_members") or message.get("left_chat_member"):
        return None
    chat_id = _id(chat["id"])
    hint = _hint(_object(user, "from"))
    text = _optional_text(message, "text")
    if text is None:
        text = _optional_text(message, "caption")
    if text is not None and _command(text) == "/start":
        payload = parse_start_payload(from_telegram_start(text))
        return Inbound(
            CHANNEL,
            external_id,
            user_id=chat_id,
            address=chat_id,
            kind=START,
            lang=payload.lang,
            lang_hint=hint,
            source=payload.source,
        )
    if text is not None and text.startswith("/"):
        text = _command(text)  # "/menu@helpline_bot" -> "/menu", the engine's command word
    if message.get("contact") is not None:
        text = None  # a shared phone number is never read, let alone kept
    return Inbound(
        CHANNEL, external_id, user_id=chat_id, address=chat_id, text=text, lang_hint=hint
    )


def _id(value: object) -> str:
    """A chat or user id as text; Telegram's are integers (a float such as 1e400 would become
    "inf", an address no reply could ever be sent to)."""
    if type(value) is not int:
        raise TypeError("a chat id is not an integer")
    return str(value)


def _command(text: str) -> str:
    first = text.strip().split(maxsplit=1)[0] if text.strip() else ""
    return first.split("@", 1)[0].lower()
