"""Campaign sources: deep links, ?src= and SMS keywords give a code; anything unsafe is `other`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.sms.webhook import from_sms
from bot.channels.telegram.deeplink import from_telegram_start
from bot.channels.web.routes import from_web_query
from bot.delivery.campaigns import DEFAULT_CAMPAIGN_SOURCES, Campaigns, clean_source, refused
from bot.settings import Settings, parse_sms_keywords


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
    settings = Settings.from_env(
        {"CAMPAIGN_SOURCES": "metro, poster_a", "SMS_SOURCE_KEYWORDS": "RADIO=radio1"}
    )
    campaigns = Campaigns.configured(settings.stats)
    assert campaigns.code("metro") == "metro"
    assert campaigns.code("radio1") == "radio1"
    assert campaigns.code("somebody") == "other"
    assert campaigns.code("leaflet") == "other"  # a list replaces the defaults


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("79161234567", "other"),
        ("aziz", "other"),  # a first name: one person, were it a row of its own
        ("Aziz", "other"),
        ("ivanov", "other"),
        ("metro", "metro"),
        ("Poster", "poster"),
        ("mosque", "mosque"),
        ("", None),
        (None, None),
    ],
)
def test_without_a_list_only_the_default_codes_are_kept(raw: str | None, kept: str | None) -> None:
    campaigns = Campaigns.configured(Settings.from_env({}).stats)
    assert campaigns.listed == DEFAULT_CAMPAIGN_SOURCES
    assert campaigns.keep(raw) == kept
    assert campaigns.code(raw) == (kept or "none")


def test_configured_codes_that_could_name_someone_are_never_listed() -> None:
    codes = ["metro", "79161234567", "Иван", "none", "other"]
    campaigns = Campaigns.of(codes, ["a1234567"])
    assert campaigns.listed == {"metro"}
    assert refused(codes) == ["79161234567", "none", "other", "иван"]
    assert Campaigns.of(["79161234567"]).code("aziz") == "other"  # nothing listed: nothing kept


def test_the_readme_gives_the_default_list() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `CAMPAIGN_SOURCES`"))
    default = row.split("|")[2].strip().strip("`")
    codes = default.split(",")
    assert len(codes) == len(set(codes)) and set(codes) == DEFAULT_CAMPAIGN_SOURCES
