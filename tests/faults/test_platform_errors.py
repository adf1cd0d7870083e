"""Telegram and Twilio failing under the running server: 5xx answers (JSON, or nginx's HTML) and
requests that hang past the client's timeout. Every reply still arrives, once, after retries
spaced by backoff, and the server stays healthy. (429, 500 and 502 alone, blocking and
rejections are in tests/channels/telegram/test_delivery.py.)"""

from __future__ import annotations

import asyncio
from itertools import pairwise
from pathlib import Path

from telegram import Bot
from telegram.request import HTTPXRequest

from tests.fakes import updates
from tests.fakes.tcp_proxy import TcpProxy
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.hostile.site import open_site, site_settings

CHAT = 620_000_001
PHONE = "+998901234000"


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in pairwise(times)]


async def test_telegram_5xx_answers_are_retried_with_growing_pauses(
    tmp_path: Path, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> None:
    settings = site_settings(
        tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", fake_telegram, fake_twilio
    )
    async with open_site(settings, fake_telegram, fake_twilio) as site:
        for status in (500, 502, 504):  # 502 is nginx's HTML page, not JSON
            fake_telegram.fail_next("sendMessage", status)
        assert (await site.post_update(updates.text_update(1, CHAT, "/start"))).status_code == 200
        assert len(await site.telegram_replies(CHAT, 1, timeout=20)) == 1
        attempts = fake_telegram.calls_to("sendMessage")
        assert [c.status for c in attempts] == [500, 502, 504, 200]
        spaced = gaps([c.at for c in attempts])
        # backoff 1, 2, 4 s with ±20 % jitter: never hammered, and growing
        assert spaced[0] >= 0.7 and spaced[1] >= 1.5 and spaced[2] >= 3.0, spaced
        assert await site.healthy() and await site.settled()
        assert len(fake_telegram.sent(CHAT)) == 1


async def test_telegram_hanging_past_the_timeout_is_retried_and_nothing_is_lost(
    tmp_path: Path, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> None:
    host, port = fake_telegram.url.removeprefix("http://").split(":")
    async with TcpProxy(host, int(port)) as proxy:
        api = f"http://127.0.0.1:{proxy.port}"
        settings = site_settings(
            tmp_path,
            f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            fake_telegram,
            fake_twilio,
            TELEGRAM_API_URL=api,
        )
        async with open_site(settings, fake_telegram, fake_twilio) as site:
            transport = site.services.senders["telegram"].transport
            # the sender's client with a 1 s read timeout instead of 10 s, to keep this short
            quick = Bot(
                fake_telegram.token,
                base_url=f"{api}/bot",
                request=HTTPXRequest(connect_timeout=1, read_timeout=1, write_timeout=1),
            )
            await quick.initialize()  # else shutdown() leaves its connections open
            original, transport.bot = transport.bot, quick  # type: ignore[attr-defined]
            try:
                proxy.hang()
                first = await site.post_update(updates.text_update(1, CHAT, "/start"))
                second = await site.post_update(updates.text_update(2, CHAT, "1"))
                assert (first.status_code, second.status_code) == (200, 200)
                await asyncio.sleep(3.5)  # a few timed-out attempts
                assert fake_telegram.sent(CHAT) == []
                assert await site.healthy()  # the server is fine, Telegram is not
                proxy.restore()
                replies = await site.telegram_replies(CHAT, 2, timeout=20)
                assert len(replies) == 2
                assert replies[1] != replies[0]  # in order: the start, then topic 1
                assert await site.settled()
                await asyncio.sleep(0.3)
                assert len(fake_telegram.sent(CHAT)) == 2  # held requests never reached it
            finally:
                transport.bot = original  # type: ignore[attr-defined]
                await quick.shutdown()


async def test_twilio_5xx_and_timeouts_are_retried_and_nothing_is_lost(
    tmp_path: Path, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> None:
    host, port = fake_twilio.url.removeprefix("http://").split(":")
    async with TcpProxy(host, int(port)) as proxy:
        settings = site_settings(
            tmp_path,
            f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            fake_telegram,
            fake_twilio,
            TWILIO_API_URL=f"http://127.0.0.1:{proxy.port}",
        )
        async with open_site(settings, fake_telegram, fake_twilio) as site:
            assert "sms" in site.services.channels
            # instead of 30 s, and shorter than the hang below. Not 1 s: an answer read after
            # the client gave up is sent again (Twilio takes no idempotency key for a message),
            # and with 1 s, in a full local run, the first reply arrived twice: most likely its
            # 201 came after the client had given up.
            site.services.channels["sms"].transport.client.http_client.timeout = 2.0
            fake_twilio.fail_next(500)
            fake_twilio.fail_next(503)
            assert (await site.sms(PHONE, "salom")).status_code == 200
            assert len(await site.sms_replies(PHONE, 1, timeout=15)) == 1
            attempts = [c for c in fake_twilio.calls if c.method == "POST"]
            assert [c.status for c in attempts] == [500, 503, 201]
            spaced = gaps([c.at for c in attempts])
            assert spaced[0] >= 0.7 and spaced[1] >= 1.5, spaced

            proxy.hang()
            assert (await site.sms(PHONE, "2")).status_code == 200
            await asyncio.sleep(2.5)
            assert len(site.sms_texts(PHONE)) == 1
            proxy.restore()
            assert len(await site.sms_replies(PHONE, 2, timeout=20)) == 2
            assert await site.settled()
            await asyncio.sleep(0.3)
            assert len(site.sms_texts(PHONE)) == 2
            assert await site.healthy()
