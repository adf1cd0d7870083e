"""Campaign sources: which poster, leaflet or link brought a conversation.

A source is a short code chosen by the organisation ("metro", "leaflet2026"). It arrives in a
Telegram deep link (t.me/bot?start=metro, seen as "/start metro"), a web-chat URL (?src=metro) or
an SMS keyword listed in SMS_SOURCE_KEYWORDS. Anything else is `none`.

The code travels in the hands of the public: anyone can make a link with any payload, including a
phone number or a name. So `Campaigns` decides, in one place for every channel, at intake and again
when counting: a code is kept only when it is listed (CAMPAIGN_SOURCES, or DEFAULT_CAMPAIGN_SOURCES
when that is not set, plus the SMS keywords' codes) and looks like a campaign code (lower-case
ASCII, starting with a letter, no run of digits long enough to be a phone or document number). Any
other value becomes `other`, and the value itself is never stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

NONE = "none"
OTHER = "other"
CODE_LEN = 32
_CODE = re.compile(rf"^[a-z][a-z0-9_-]{{0,{CODE_LEN - 1}}}$")
_LONG_DIGITS = re.compile(r"\d{5,}")
DEFAULT_CAMPAIGN_SOURCES = frozenset(
    {
        "poster",
        "leaflet",
        "sticker",
        "metro",
        "bus",
        "train",
        "market",
        "mosque",
        "consulate",
        "mmc",
        "radio",
        "friends",
    }
)
"""Kept when CAMPAIGN_SOURCES is not set: the places posters and leaflets usually go (`mmc`: a
migration centre), radio and word of mouth. Nothing a person could be named or numbered by."""
# An identifier from a fixed vocabulary (flows, channels, reasons): never free text.
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def clean_source(raw: str | None) -> str:
    """A raw source value by its shape alone: the code, `none` or `other`. Whether the code is
    kept is `Campaigns.code`'s decision."""
    if raw is None or not raw.strip():
        return NONE
    code = raw.strip().lower()
    if code in (NONE, OTHER):
        return code
    return code if well_formed(code) else OTHER


def well_formed(code: str) -> bool:
    """A code the statistics could keep: lower-case ASCII, starting with a letter, no phone or
    document number in it (no run of 5 digits or more)."""
    return bool(_CODE.match(code)) and not _LONG_DIGITS.search(code)


@dataclass(frozen=True)
class Campaigns:
    """The campaign codes this installation counts: the one decision, for every channel, of
    what becomes of a source someone sent."""

    listed: frozenset[str] = DEFAULT_CAMPAIGN_SOURCES

    @classmethod
    def of(cls, codes: Iterable[str], extra: Iterable[str] = ()) -> Campaigns:
        """`codes` (CAMPAIGN_SOURCES; the defaults when empty) and `extra` (the SMS keywords'
        codes), lower-cased; codes that are not well formed are left out (see `refused`)."""
        chosen = {c.strip().lower() for c in codes if c.strip()} or DEFAULT_CAMPAIGN_SOURCES
        chosen |= {c.strip().lower() for c in extra if c.strip()}
        return cls(frozenset(c for c in chosen if well_formed(c) and c not in (NONE, OTHER)))

    def code(self, raw: str | None) -> str:
        """What to count for a raw source: a listed code, `none` (no source) or `other`."""
        code = clean_source(raw)
        return code if code in (NONE, OTHER) or code in self.listed else OTHER

    def keep(self, raw: str | None) -> str | None:
        """What to store for a raw source: a listed code, `other`, or None when there is none."""
        code = self.code(raw)
        return None if code == NONE else code


def refused(codes: Iterable[str]) -> list[str]:
    """The configured codes `Campaigns.of` leaves out, to tell whoever configured them."""
    return sorted({c.strip().lower() for c in codes if c.strip()} - Campaigns.of(codes).listed)


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
