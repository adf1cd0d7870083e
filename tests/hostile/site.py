"""The real server with every channel on (Telegram and Twilio fakes, the web chat), and helpers
that post to each webhook exactly as its platform does: for hostile-input and fault tests."""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.settings import Settings
from tests.channels.sms.conftest import FROM_NUMBER
from tests.channels.telegram.conftest import PUBLIC_URL, SECRET
from tests.channels.web.conftest import Visitor
from tests.conftest import make_settings
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio, inbound_form, signature
from tests.serving import Running, running

TELEGRAM_PATH = "/telegram/webhook"
SMS_PATH = "/sms/twilio"
STATUS_PATH = "/sms/twilio/status"
WEB_PATHS = ("/chat/send", "/chat/start")
TELEGRAM_HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


def site_settings(
    tmp_path: Path, database_url: str, telegram: FakeTelegram, twilio: FakeTwilio, **env: str
) -> Settings:
    """Every channel on, each talking to its fake, and no pacing to wait for."""
    base = {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_RATE_GLOBAL": "1000",
        "TELEGRAM_RATE_PER_CHAT": "1000",
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "TWILIO_API_URL": twilio.url,
        "SMS_RATE_PER_NUMBER": "500",
        "PUBLIC_URL": PUBLIC_URL,
    }
    return make_settings(tmp_path, database_url, **{**base, **env})


@dataclass
class Site(Running):
    """The running server and both platform fakes."""

    telegram: FakeTelegram
    twilio: FakeTwilio
    _sids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _hosts: Iterator[int] = field(default_factory=lambda: itertools.count(0))

    async def post_update(self, update: Any) -> httpx.Response:
        body = json.dumps(update).encode()  # ASCII: a lone surrogate travels as "\ud800"
        headers = {**TELEGRAM_HEADERS, "Content-Type": "application/json"}
        return await self.client.post(TELEGRAM_PATH, content=body, headers=headers)

    async def post_raw(
        self, path: str, content: bytes, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        sent = dict(TELEGRAM_HEADERS) if path == TELEGRAM_PATH else {}
        return await self.client.post(path, content=content, headers=sent | (headers or {}))

    async def post_signed(self, path: str, form: dict[str, str]) -> httpx.Response:
        """A form signed as Twilio signs it (the values as given, whatever they hold)."""
        sig = signature(PUBLIC_URL + path, form, self.twilio.auth_token)
        return await self.client.post(path, data=form, headers={"X-Twilio-Signature": sig})

    async def sms(self, number: str, body: str, *, sid: str | None = None) -> httpx.Response:
        message_sid = sid or f"SM{next(self._sids):032x}"
        form = inbound_form(from_=number, body=body, message_sid=message_sid, to=FROM_NUMBER)
        return await self.post_signed(SMS_PATH, form)

    def telegram_texts(self, chat_id: int) -> list[str]:
        return [html.unescape(str(c.params["text"])) for c in self.telegram.sent(chat_id)]

    def sms_texts(self, number: str) -> list[str]:
        return [call.params["Body"] for call in self.twilio.messages(number)]

    async def telegram_replies(self, chat_id: int, count: int, timeout: float = 10) -> list[str]:
        await self.telegram.wait_until_async(
            lambda: len(self.telegram.sent(chat_id)) >= count, timeout
        )
        return self.telegram_texts(chat_id)

    async def sms_replies(self, number: str, count: int, timeout: float = 10) -> list[str]:
        await self.twilio.wait_until_async(
            lambda: len(self.twilio.messages(number)) >= count, timeout
        )
        return self.sms_texts(number)

    def say(self, lang: str, key: str, *, sms: bool = False) -> str:
        """A text as content/<lang>/ has it, rendered."""
        return self.services.content.engine.texts.render(lang, key, sms=sms)

    async def healthy(self) -> bool:
        response = await self.client.get("/healthz")
        return response.status_code == 200 and response.json()["database"] == "ok"

    @contextlib.asynccontextmanager
    async def visitor(self, lang: str = "ru") -> AsyncIterator[Visitor]:
        """A browser with the page loaded, each on a machine of its own (its own loopback
        address: the web chat limits how many new visitors one address brings)."""
        n = next(self._hosts)
        browser = Visitor(self.url, f"127.0.{n // 250 + 1}.{n % 250 + 1}")
        try:
            page = await browser.open(f"/chat?lang={lang}")
            assert page.status_code == 200 and browser.token
            # PUBLIC_URL is https, so the cookie is Secure; this browser talks plain http to
            # the server behind the (imagined) TLS proxy: keep the cookie, without the flag
            cookie = browser.secret
            browser.client.cookies.clear()
            browser.client.cookies.set("webchat", cookie, domain="127.0.0.1", path="/chat")
            # EventSource waits for ever between pings (every 15 s): so does this browser
            browser.client.timeout = httpx.Timeout(10.0, read=60.0)
            yield browser
        finally:
            await browser.close()


@contextlib.asynccontextmanager
async def open_site(
    settings: Settings, telegram: FakeTelegram, twilio: FakeTwilio
) -> AsyncIterator[Site]:
    async with running(settings) as run:
        yield Site(run.url, run.client, run.services, telegram, twilio)


async def eventually(check: Any, timeout: float = 10.0) -> bool:
    """Poll an async predicate every 50 ms until it holds or `timeout` passes."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.05)
    return bool(await check())
