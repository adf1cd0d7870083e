"""Campaign sources: which poster, leaflet or link brought a conversation.

A source is a short code chosen by the organisation ("metro", "leaflet2026"). Each channel finds
it in its own way (a Telegram deep link "/start metro", a web-chat URL ?src=metro, an SMS keyword
listed in SMS_SOURCE_KEYWORDS); intake receives it raw. Anything else is `none`.

The code travels in the hands of the public: anyone can make a link with any payload, including a
phone number or a name. So `Campaigns` decides, in one place for every channel, at intake and again
when counting: a code is kept only when it is listed (CAMPAIGN_SOURCES, or DEFAULT_CAMPAIGN_SOURCES
when that is not set, plus the SMS keywords' codes) and looks like a campaign code (lower-case
ASCII, starting with a letter, no run of digits long enough to be a phone or document number). Any
other value becomes `other`, and the value itself is never stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.settings import StatsSettings

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

    @classmethod
    def configured(cls, settings: StatsSettings) -> Campaigns:
        """The codes kept: CAMPAIGN_SOURCES (or the defaults) plus the SMS keywords' codes."""
        return cls.of(settings.campaign_sources, settings.sms_keywords.values())

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
