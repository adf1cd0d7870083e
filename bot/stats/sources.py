"""Campaign sources: which poster, leaflet or link brought a conversation.

A source is a short code chosen by the organisation ("metro", "leaflet2026"). It arrives in a
Telegram deep link (t.me/bot?start=metro, seen as "/start metro"), a web-chat URL (?src=metro) or
an SMS keyword listed in SMS_SOURCE_KEYWORDS. Anything else is `none`.

The code travels in the hands of the public: anyone can make a link with any payload, including a
phone number or a name. So a code is only kept when it looks like a campaign code (lower-case
ASCII, starting with a letter, no run of digits long enough to be a phone or document number) and,
when CAMPAIGN_SOURCES is set, only when it is listed there; any other value becomes `other`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qs

NONE = "none"
OTHER = "other"
CODE_LEN = 32
_CODE = re.compile(rf"^[a-z][a-z0-9_-]{{0,{CODE_LEN - 1}}}$")
_LONG_DIGITS = re.compile(r"\d{5,}")
# An identifier from a fixed vocabulary (flows, channels, reasons): never free text.
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def clean_source(raw: str | None, allowed: frozenset[str] = frozenset()) -> str:
    """The code to count for a raw source value: the code itself, `none` or `other`."""
    if raw is None or not raw.strip():
        return NONE
    code = raw.strip().lower()
    if code in (NONE, OTHER):
        return code
    if not _CODE.match(code) or _LONG_DIGITS.search(code):
        return OTHER
    if allowed and code not in allowed:
        return OTHER
    return code


def clean_id(raw: str | None, default: str = NONE) -> str:
    """A dimension value from a fixed vocabulary (topic, channel, reason...), or `default`: a
    defence against free text ever reaching a statistics table by mistake."""
    if raw is None:
        return default
    value = raw.strip().lower()
    return value if _ID.match(value) else OTHER


def from_telegram_start(text: str | None) -> str | None:
    """The deep-link payload of a "/start PAYLOAD" message (None when there is none)."""
    if not text:
        return None
    parts = text.strip().split(maxsplit=1)
    if len(parts) == 2 and parts[0].split("@", 1)[0].lower() == "/start":
        return parts[1].strip() or None
    return None


def from_web_query(query: str | Mapping[str, str]) -> str | None:
    """The `src` parameter of a web-chat URL query ("src=metro&x=1") or of parsed parameters."""
    if isinstance(query, str):
        values = parse_qs(query.lstrip("?")).get("src")
        return values[0] if values else None
    return query.get("src")


def parse_sms_keywords(value: str) -> dict[str, str]:
    """SMS_SOURCE_KEYWORDS, "METRO=metro,LEAFLET=leaflet2026": keyword (any case) -> code.
    Malformed pairs are skipped rather than stopping the bot."""
    keywords: dict[str, str] = {}
    for pair in value.split(","):
        keyword, sep, code = pair.partition("=")
        if sep and keyword.strip() and code.strip():
            keywords[keyword.strip().upper()] = code.strip().lower()
    return keywords


def from_sms(text: str | None, keywords: Mapping[str, str]) -> str | None:
    """The code of the SMS keyword the message starts with ("METRO", "metro, help..."), if any."""
    if not text or not keywords:
        return None
    words = re.split(r"[\s,.!?;:]+", text.strip(), maxsplit=1)
    return keywords.get(words[0].upper()) if words and words[0] else None
