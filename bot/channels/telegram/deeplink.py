"""Telegram deep links (t.me/<bot>?start=PAYLOAD) carrying a language and a campaign source.

A poster's QR code opens the bot with "/start uz-metro": the user skips the language question and
the conversation is counted under the campaign "metro". The payload is at most 64 characters of
A-Z, a-z, 0-9, "_" and "-" (https://core.telegram.org/bots/features#deep-linking); ours is
`LANG`, `LANG-SOURCE` or `SOURCE`. Anyone can type any payload, so parsing never fails: what does
not fit is ignored, and intake keeps the source only when it is a listed campaign code
(`Campaigns`, bot/delivery/campaigns.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot import LANGUAGES
from bot.delivery.campaigns import clean_source

PAYLOAD_LIMIT = 64
_PAYLOAD = re.compile(rf"[A-Za-z0-9_-]{{1,{PAYLOAD_LIMIT}}}")
# Telegram usernames: 5-32 characters, letters, digits and underscores.
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")


@dataclass(frozen=True)
class StartPayload:
    """What a deep link says: the user's language and the campaign that brought them, if any."""

    lang: str | None
    source: str | None


NO_PAYLOAD = StartPayload(None, None)


def from_telegram_start(text: str | None) -> str | None:
    """The deep-link payload of a "/start PAYLOAD" message (None when there is none)."""
    if not text:
        return None
    parts = text.strip().split(maxsplit=1)
    if len(parts) == 2 and parts[0].split("@", 1)[0].lower() == "/start":
        return parts[1].strip() or None
    return None


def parse_start_payload(payload: str | None) -> StartPayload:
    """The language and raw (lower-cased) source of a start payload; never raises."""
    if not payload or not _PAYLOAD.fullmatch(payload):
        return NO_PAYLOAD
    head, sep, rest = payload.partition("-")
    if head.lower() in LANGUAGES:
        return StartPayload(head.lower(), rest.lower() if sep and rest else None)
    return StartPayload(None, payload.lower())


def build_start_payload(lang: str | None, source: str | None) -> str:
    """The payload for a language and/or campaign source; ValueError says what is wrong."""
    if lang is None and source is None:
        raise ValueError("a start payload needs a language, a source or both")
    parts: list[str] = []
    if lang is not None:
        if lang.lower() not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
        parts.append(lang.lower())
    if source is not None:
        code = source.lower()
        if clean_source(code) != code or code in ("none", "other"):
            raise ValueError(
                f"source {source!r} is not a campaign code the statistics can count: use"
                " letters, digits, '_' or '-' (no spaces), starting with a letter, at most 32"
                " characters, with no run of 5 or more digits"
            )
        if lang is None and parse_start_payload(code).lang is not None:
            raise ValueError(
                f"source {source!r} would be read as a language: add a language or rename it"
            )
        parts.append(code)
    payload = "-".join(parts)
    # Unreachable with today's source limit; Telegram's rule holds whatever that becomes.
    if not _PAYLOAD.fullmatch(payload):
        raise ValueError(f"start payload {payload!r} is over {PAYLOAD_LIMIT} characters")
    return payload


def start_link(username: str, payload: str) -> str:
    """The https://t.me link that opens the bot `username` with /start `payload`."""
    name = username.strip().removeprefix("@")
    if not _USERNAME.fullmatch(name):
        raise ValueError(
            f"bot username {username!r} is not a Telegram username"
            " (5-32 letters, digits or '_', starting with a letter)"
        )
    if not _PAYLOAD.fullmatch(payload):
        raise ValueError(
            f"start payload {payload!r} must be 1-{PAYLOAD_LIMIT} characters of A-Z, a-z, 0-9, _, -"
        )
    return f"https://t.me/{name}?start={payload}"
