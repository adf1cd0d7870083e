"""A neutral message as Telegram messages: HTML-escaped text (parse mode HTML, so nothing a
user or editor wrote can break the markup), split under Telegram's 4096-character limit at
paragraph boundaries, and the options as an inline keyboard on the last part."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass

from bot.engine.messages import OptionOut, Outgoing

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CALLBACK_LIMIT = 64
PARSE_MODE = "HTML"
NAV_PREFIX = "nav:"
LANG_PREFIX = "lang:"

Button = tuple[str, str]
"""(label, callback data)."""


@dataclass(frozen=True)
class Piece:
    html: str
    keyboard: tuple[tuple[Button, ...], ...] = ()


def utf16_len(text: str) -> int:
    """Telegram counts message length in UTF-16 code units (an emoji counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Escaped pieces of at most `limit` units: cut at paragraphs, else lines, else spaces."""
    pieces: list[str] = []
    rest = text.strip()
    while rest:
        if utf16_len(html.escape(rest, quote=False)) <= limit:
            pieces.append(rest)
            break
        cut = _cut(rest, limit)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [html.escape(p, quote=False) for p in pieces] or [""]


def _cut(text: str, limit: int) -> int:
    """The longest prefix that fits, preferring to end it at a paragraph, line or word."""
    low, high = 1, len(text)
    while low < high:  # binary search for the longest fitting prefix
        middle = (low + high + 1) // 2
        if utf16_len(html.escape(text[:middle], quote=False)) <= limit:
            low = middle
        else:
            high = middle - 1
    fits = text[:low]
    for separator in ("\n\n", "\n", " "):
        at = fits.rfind(separator)
        if at > low // 2:
            return at + len(separator)
    return low


def keyboard(options: tuple[OptionOut, ...]) -> tuple[tuple[Button, ...], ...]:
    """One row per choice; language buttons share a row, and so do back / menu / operator."""
    rows: list[tuple[Button, ...]] = []
    languages: list[Button] = []
    navigation: list[Button] = []
    for option in options:
        if len(option.id.encode()) > CALLBACK_LIMIT or not option.id.isascii():
            log.error("option id %r cannot be a Telegram button (64 ASCII bytes)", option.id)
            continue
        button = (option.label, option.id)
        if option.id.startswith(NAV_PREFIX):
            navigation.append(button)
        elif option.id.startswith(LANG_PREFIX):
            languages.append(button)
        else:
            rows.append((button,))
    if languages:
        rows.append(tuple(languages))
    if navigation:
        rows.append(tuple(navigation))
    return tuple(rows)


def render(message: Outgoing) -> list[Piece]:
    """An operator's words begin with their signature in bold ("Оператор Анна:"), so nobody
    takes a person for the bot."""
    signed = ""
    if message.signature:
        signed = f"<b>{html.escape(message.signature, quote=False)}:</b>\n"
    texts = split_text(message.text, TEXT_LIMIT - utf16_len(signed))
    texts[0] = signed + texts[0]
    pieces = [Piece(text) for text in texts[:-1]]
    pieces.append(Piece(texts[-1], keyboard(message.options)))
    return pieces
