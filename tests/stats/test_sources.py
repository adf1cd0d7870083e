"""Campaign sources: deep links, ?src= and SMS keywords give a code; anything unsafe is `other`."""

from __future__ import annotations

import pytest

from bot.stats.config import StatsConfig
from bot.stats.sources import (
    clean_source,
    from_sms,
    from_telegram_start,
    from_web_query,
    parse_sms_keywords,
)


def test_telegram_deep_link_payload() -> None:
    assert from_telegram_start("/start metro") == "metro"
    assert from_telegram_start("/start@HelplineBot leaflet2026") == "leaflet2026"
    assert from_telegram_start("/start") is None
    assert from_telegram_start("hello metro") is None


def test_web_chat_src_parameter() -> None:
    assert from_web_query("?src=poster_a&lang=ru") == "poster_a"
    assert from_web_query("lang=ru") is None
    assert from_web_query({"src": "radio"}) == "radio"


def test_sms_keywords_from_settings() -> None:
    keywords = parse_sms_keywords("METRO=metro, leaflet = leaflet2026,broken,=x")
    assert keywords == {"METRO": "metro", "LEAFLET": "leaflet2026"}
    assert from_sms("metro", keywords) == "metro"
    assert from_sms("Leaflet, how do I get a patent?", keywords) == "leaflet2026"
    assert from_sms("how do I get a patent?", keywords) is None


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (None, "none"),
        ("", "none"),
        ("Metro", "metro"),
        ("leaflet-2026", "leaflet-2026"),
        ("+79161234567", "other"),  # a phone number must never become a statistic
        ("a79161234567", "other"),
        ("aa1234567", "other"),  # a passport number
        ("Иван", "other"),
        ("<script>", "other"),
        ("x" * 40, "other"),
    ],
)
def test_only_campaign_like_codes_are_kept(raw: str | None, code: str) -> None:
    assert clean_source(raw) == code


def test_an_allow_list_keeps_only_listed_codes_and_sms_keywords() -> None:
    config = StatsConfig.from_env(
        {"CAMPAIGN_SOURCES": "metro, poster_a", "SMS_SOURCE_KEYWORDS": "RADIO=radio1"}
    )
    allowed = config.allowed_sources
    assert clean_source("metro", allowed) == "metro"
    assert clean_source("radio1", allowed) == "radio1"
    assert clean_source("somebody", allowed) == "other"
    assert StatsConfig.from_env({}).allowed_sources == frozenset()  # no list: any safe code
