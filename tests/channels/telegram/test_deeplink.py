"""Deep-link payloads: what arrives from anyone is read without failing; what we build is valid."""

from __future__ import annotations

import pytest

from bot.channels.telegram.deeplink import (
    StartPayload,
    build_start_payload,
    parse_start_payload,
    start_link,
)
from bot.delivery.campaigns import clean_source


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("uz", StartPayload("uz", None)),
        ("tg-metro", StartPayload("tg", "metro")),
        ("ru-leaflet2026", StartPayload("ru", "leaflet2026")),
        ("metro", StartPayload(None, "metro")),
        ("UZ-Metro", StartPayload("uz", "metro")),
        ("Metro", StartPayload(None, "metro")),
        ("tg-", StartPayload("tg", None)),
        ("ru-bus-stop_7", StartPayload("ru", "bus-stop_7")),
        ("en-metro", StartPayload(None, "en-metro")),
        ("uzbek", StartPayload(None, "uzbek")),
        ("-metro", StartPayload(None, "-metro")),
        ("a" * 64, StartPayload(None, "a" * 64)),
        # invalid: ignored, never an exception
        (None, StartPayload(None, None)),
        ("", StartPayload(None, None)),
        ("a" * 65, StartPayload(None, None)),
        ("uz metro", StartPayload(None, None)),
        ("uz-метро", StartPayload(None, None)),
        ("uz.metro", StartPayload(None, None)),
        ("uz-metro\n", StartPayload(None, None)),
        ("ru-+79001234567", StartPayload(None, None)),
    ],
)
def test_parse_start_payload(payload: str | None, expected: StartPayload) -> None:
    assert parse_start_payload(payload) == expected


def test_a_source_is_returned_raw_for_the_statistics_to_clean() -> None:
    parsed = parse_start_payload("uz-79001234567")
    assert parsed == StartPayload("uz", "79001234567")
    assert clean_source(parsed.source) == "other"


@pytest.mark.parametrize(
    ("lang", "source", "payload"),
    [
        ("uz", None, "uz"),
        ("tg", "metro", "tg-metro"),
        ("RU", "Leaflet2026", "ru-leaflet2026"),
        (None, "metro", "metro"),
        ("ru", "bus-stop_7", "ru-bus-stop_7"),
        ("ru", "a" * 32, "ru-" + "a" * 32),
    ],
)
def test_build_start_payload_round_trips(
    lang: str | None, source: str | None, payload: str
) -> None:
    assert build_start_payload(lang, source) == payload
    parsed = parse_start_payload(payload)
    assert parsed == StartPayload(lang and lang.lower(), source and source.lower())


@pytest.mark.parametrize(
    ("lang", "source", "message"),
    [
        (None, None, "needs a language, a source or both"),
        ("en", "metro", "unknown language 'en'"),
        ("", None, "unknown language ''"),
        ("ru", "met ro", "source 'met ro'"),
        ("ru", "", "source ''"),
        ("ru", "метро", "source 'метро'"),
        ("ru", "a" * 33, "at most 32 characters"),
        ("ru", "79001234567", "no run of 5 or more digits"),
        ("ru", "2026leaflet", "starting with a letter"),
        ("ru", "other", "source 'other'"),
        (None, "uz", "would be read as a language"),
        (None, "tg-metro", "would be read as a language"),
    ],
)
def test_build_start_payload_refuses_bad_input(
    lang: str | None, source: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build_start_payload(lang, source)


def test_start_link() -> None:
    assert start_link("helpline_bot", "uz-metro") == "https://t.me/helpline_bot?start=uz-metro"
    assert start_link("@helpline_bot", "uz") == "https://t.me/helpline_bot?start=uz"


@pytest.mark.parametrize(
    ("username", "payload"),
    [
        ("help", "uz"),  # under 5 characters
        ("helpline bot", "uz"),
        ("t.me/helpline_bot", "uz"),
        ("helpline_bot", ""),
        ("helpline_bot", "uz metro"),
        ("helpline_bot", "a" * 65),
    ],
)
def test_start_link_refuses_bad_input(username: str, payload: str) -> None:
    with pytest.raises(ValueError):
        start_link(username, payload)
