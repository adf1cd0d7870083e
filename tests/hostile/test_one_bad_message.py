"""One bad character loses nothing and fails no one else: a lone surrogate or a NUL is made valid
once, at intake, on every channel; the messages stored beside it in one batch are accepted and
answered as if it were not there."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.delivery.tables import InboxItem
from bot.operators import queue
from bot.operators.tables import Handover
from bot.storage.sealed import Sealer
from tests.channels.web.conftest import Events, Visitor
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.hostile.site import Site, open_site, site_settings

ALWAYS_OPEN = {
    "HOTLINE_DAYS": "0,1,2,3,4,5,6",
    "HOTLINE_OPENS": "00:00",
    "HOTLINE_CLOSES": "24:00",
}


@pytest.fixture
async def open_hours(
    tmp_path: Path, database_url: str, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> AsyncIterator[Site]:
    """Every channel on, with the hotline open, so a request for a human is queued."""
    settings = site_settings(tmp_path, database_url, fake_telegram, fake_twilio, **ALWAYS_OPEN)
    async with open_site(settings, fake_telegram, fake_twilio) as served:
        yield served


async def send_raw(browser: Visitor, text_json: str) -> int:
    """Post a text exactly as JSON spells it (`"x\\ud800"`: a lone surrogate once decoded)."""
    body = f'{{"id": "{uuid.uuid4()}", "text": {text_json}}}'.encode()
    headers = {"Content-Type": "application/json"}
    return (await browser.post("/chat/send", body, **headers)).status_code


async def user_lines(site: Site) -> list[str]:
    sealer = Sealer(site.services.settings.resolved_secret_key())
    async with site.services.sessions() as session:
        row = await session.scalar(select(Handover).order_by(Handover.id.desc()))
        if row is None:
            return []
        lines = await queue.lines(session, row.id)
    return [sealer.open(line.body) for line in lines if line.kind == "user"]


async def test_a_lone_surrogate_sent_while_queued_reaches_the_transcript(
    open_hours: Site,
) -> None:
    site = open_hours
    async with site.visitor("ru") as browser, browser.events() as events:
        assert (await browser.start("?lang=ru")).status_code == 202
        await events.next()
        assert (await browser.send("оператор")).status_code == 202
        await events.next()  # your place in the queue
        async with site.services.sessions() as session:
            handover = await session.scalar(select(Handover))
        assert handover is not None and handover.status == "queued"

        assert await send_raw(browser, json.dumps("x\ud800")) == 202
        assert await send_raw(browser, json.dumps("a\x00b\x1b[31m\tc\nd")) == 202
        assert await site.settled()
        assert await user_lines(site) == ["x\ufffd", "ab[31m\tc\nd"]
    async with site.services.sessions() as session:
        failed = await session.scalars(select(InboxItem.id).where(InboxItem.attempts > 0))
        assert list(failed) == []  # processed the first time, not after retries
    assert await site.healthy()


async def test_a_nul_in_an_sms_fails_no_one_stored_beside_it(site: Site) -> None:
    number = "+998901234567"
    browsers = [Visitor(site.url) for _ in range(4)]
    async with contextlib.AsyncExitStack() as stack:
        for browser in browsers:
            stack.push_async_callback(browser.close)
        streams = [await stack.enter_async_context(streaming(b)) for b in browsers]
        sms, *web = await asyncio.gather(
            site.sms(number, "пат\x00ент", sid="SM\x00" + "a" * 32),
            *(browser.start() for browser in browsers),
        )
        assert sms.status_code == 200, sms.status_code
        assert [answer.status_code for answer in web] == [202] * 4  # none 503
        for events in streams:
            assert (await events.next())["text"]  # every visitor is answered
        assert await site.sms_replies(number, 1)
        assert await site.settled()
    assert await site.healthy()


@contextlib.asynccontextmanager
async def streaming(browser: Visitor) -> AsyncIterator[Events]:
    """The page loaded (its cookie kept for plain http, as `Site.visitor` does) and its stream."""
    page = await browser.open("/chat?lang=ru")
    assert page.status_code == 200 and browser.token
    cookie = browser.secret
    browser.client.cookies.clear()
    browser.client.cookies.set("webchat", cookie, domain="127.0.0.1", path="/chat")
    async with browser.events() as events:
        yield events
