"""Turning a Telegram update (parsed with python-telegram-bot's types) into a neutral Inbound.

Only private chats are served: the bot is a confidential helpline, not a group member. What a
user would not expect an answer to (an edited message, group events, unknown update kinds) is
recorded for deduplication and otherwise ignored.
"""

from __future__ import annotations

from typing import Any

from telegram import Bot, Message, Update

from bot import LANGUAGES
from bot.channels.telegram.deeplink import parse_start_payload
from bot.delivery.inbound import BLOCKED, IGNORE, START, UNBLOCKED, Inbound
from bot.stats.sources import from_telegram_start

CHANNEL = "telegram"


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


def parse(data: Any, bot: Bot | None = None) -> Update:
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        raise MalformedUpdate("not an update: an object with an integer update_id is expected")
    try:
        return Update.de_json(data, bot)
    except PARSE_ERRORS as error:
        raise MalformedUpdate(f"not a valid update: {error}") from error


def read(data: Any, bot: Bot | None = None) -> Inbound:
    """A webhook body as an Inbound; anything not shaped like a Bot API update (a missing chat,
    a number where text belongs...) raises MalformedUpdate, never anything else."""
    update = parse(data, bot)
    try:
        inbound = to_inbound(update)
    except PARSE_ERRORS as error:
        raise MalformedUpdate(f"not a valid update: {error!r}") from error
    for name, value in inbound.body().items():
        if not isinstance(value, str):
            raise MalformedUpdate(f"not a valid update: {name} is not a string")
    return inbound


def language_hint(code: str | None) -> str | None:
    """The user's app language (IETF tag such as 'uz' or 'ru-RU') when it is one we serve."""
    if not code:
        return None
    primary = code.split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else None


def to_inbound(update: Update) -> Inbound:
    external_id = str(update.update_id)
    ignored = Inbound(CHANNEL, external_id, kind=IGNORE)
    if update.callback_query is not None:
        query = update.callback_query
        chat = query.message.chat if query.message is not None else None
        if chat is not None and chat.type != "private":
            return ignored
        chat_id = _id(chat.id if chat is not None else query.from_user.id)
        return Inbound(
            CHANNEL,
            external_id,
            user_id=chat_id,
            address=chat_id,
            choice=query.data or "",
            lang_hint=language_hint(query.from_user.language_code),
            ack=query.id,
        )
    if update.my_chat_member is not None:
        change = update.my_chat_member
        if change.chat.type != "private":
            return ignored
        status = change.new_chat_member.status
        if status not in ("member", "kicked"):
            return ignored
        kind = UNBLOCKED if status == "member" else BLOCKED
        chat_id = _id(change.chat.id)
        return Inbound(CHANNEL, external_id, user_id=chat_id, kind=kind)
    if update.message is not None:
        return _message(external_id, update.message) or ignored
    return ignored


def _message(external_id: str, message: Message) -> Inbound | None:
    if message.chat.type != "private" or message.from_user is None:
        return None
    if message.new_chat_members or message.left_chat_member:
        return None
    chat_id = _id(message.chat.id)
    hint = language_hint(message.from_user.language_code)
    text = message.text if message.text is not None else message.caption
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
    if message.contact is not None:
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
