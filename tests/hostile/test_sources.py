"""Campaign codes from the public (deep links, SMS keywords, the web chat's ?src=): only listed
codes are kept, on every channel; a phone number or a name in a link is never stored anywhere."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.delivery.inbox import pending_conversations
from bot.stats.tables import ContactCount
from tests.fakes import updates
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.hostile.site import Site, eventually, open_site, site_settings

STATS = ("stat_daily_contacts", "stat_topic_counts")
PER_PERSON = ("conversations", "inbox", "outbox")


async def start(site: Site, chat: int, payload: str) -> None:
    update = updates.load(
        "start_payload", chat_id=chat, update_id=chat * 10, text=f"/start {payload}"
    )
    assert (await site.post_update(update)).status_code == 200
    await site.telegram_replies(chat, 1)


async def processed(site: Site) -> None:
    """Every update taken (web chat replies wait in the outbox for a page to fetch them)."""

    async def done() -> bool:
        async with site.services.sessions() as session:
            return not await pending_conversations(session, 1)

    assert await eventually(done)


async def sources(site: Site) -> dict[str, int]:
    """Contacts counted per campaign source."""
    await processed(site)
    async with site.services.sessions() as session:
        rows = (await session.scalars(select(ContactCount))).all()
    counted: dict[str, int] = {}
    for row in rows:
        counted[row.source] = counted.get(row.source, 0) + row.active
    return counted


async def everything(site: Site) -> str:
    await processed(site)
    return "\n".join(await site.dump(PER_PERSON + STATS)).lower()


async def test_a_phone_number_in_a_deep_link_is_stored_nowhere(site: Site) -> None:
    await start(site, 710_000_001, "ru-79161234567")
    await start(site, 710_000_002, "79161234568")
    stored = await everything(site)
    assert "9161234567" not in stored and "9161234568" not in stored
    assert await sources(site) == {"other": 2}


async def test_a_name_in_a_deep_link_counts_as_other(site: Site) -> None:
    await start(site, 710_000_003, "uz-Aziz")
    assert "aziz" not in await everything(site)
    assert await sources(site) == {"other": 1}


async def test_a_listed_code_is_kept_and_counted(site: Site) -> None:
    await start(site, 710_000_004, "uz-metro")  # in the default list
    await start(site, 710_000_005, "tg-leaflet")
    assert await sources(site) == {"metro": 1, "leaflet": 1}


async def test_the_web_chat_keeps_only_listed_codes(site: Site) -> None:
    for query in ("?lang=ru&src=aziz", "?lang=ru&src=poster"):
        async with site.visitor() as browser:
            assert (await browser.start(query)).status_code == 202
    assert "aziz" not in await everything(site)
    assert await sources(site) == {"other": 1, "poster": 1}


@pytest.fixture
async def configured(
    tmp_path: Path,
    database_url: str,
    fake_telegram: FakeTelegram,
    fake_twilio: FakeTwilio,
) -> AsyncIterator[Site]:
    settings = site_settings(
        tmp_path,
        database_url,
        fake_telegram,
        fake_twilio,
        CAMPAIGN_SOURCES="leaflet2026",
        SMS_SOURCE_KEYWORDS="METRO=metro,CALL=79161234567,LIST=leaflet2026",
    )
    async with open_site(settings, fake_telegram, fake_twilio) as served:
        yield served


async def test_sms_keywords_follow_the_same_rule(configured: Site) -> None:
    site = configured
    for number, text in (
        ("+998901110001", "METRO"),  # a keyword's own code is listed with it
        ("+998901110002", "call, salom"),  # a keyword mapped to digits: never kept
        ("+998901110003", "list"),
        ("+998901110004", "Aziz"),  # no keyword: no source
    ):
        assert (await site.sms(number, text)).status_code == 200
        await site.sms_replies(number, 1)
        await site.sms(number, "1")  # the language: the contact is counted from now
        await site.sms_replies(number, 2)
    await start(site, 710_000_006, "uz-metro")  # listed through the keyword
    await start(site, 710_000_007, "uz-poster")  # not listed here: the defaults are replaced
    assert "79161234567" not in await everything(site)
    assert await sources(site) == {"metro": 2, "other": 2, "leaflet2026": 1, "none": 1}
