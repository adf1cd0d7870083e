"""Fixtures for the SMS channel: the fake Twilio API and the real server configured for it,
with webhook requests signed exactly as Twilio signs them."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from bot.settings import Settings
from tests.conftest import make_settings
from tests.fakes.twilio_api import FakeTwilio, inbound_form, signature
from tests.serving import Running, running

PUBLIC_URL = "https://helpline.example.org"
FROM_NUMBER = "+15005550006"


@dataclass
class SmsServed(Running):
    fake: FakeTwilio
    _sids: Iterator[int] = field(default_factory=itertools.count)

    async def post_signed(
        self, path: str, form: dict[str, str], *, token: str | None = None
    ) -> httpx.Response:
        sig = signature(PUBLIC_URL + path, form, token or self.fake.auth_token)
        return await self.client.post(path, data=form, headers={"X-Twilio-Signature": sig})

    async def sms(self, number: str, body: str, *, sid: str | None = None) -> httpx.Response:
        """An incoming SMS, as Twilio posts it."""
        message_sid = sid or f"SM{next(self._sids):032x}"
        form = inbound_form(from_=number, body=body, message_sid=message_sid, to=FROM_NUMBER)
        return await self.post_signed("/sms/twilio", form)

    def texts(self, number: str) -> list[str]:
        return [call.params["Body"] for call in self.fake.messages(number)]

    async def replies(self, number: str, count: int, timeout: float = 10) -> list[str]:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.fake.messages(number)) < count:
            if asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.02)
        return self.texts(number)


def sms_settings(tmp_path: Path, database_url: str, fake: FakeTwilio, **env: str) -> Settings:
    base = {
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "TWILIO_API_URL": fake.url,
        "PUBLIC_URL": PUBLIC_URL,
        "SMS_RATE_PER_NUMBER": "500",
    }
    return make_settings(tmp_path, database_url, **{**base, **env})


@pytest.fixture
async def sms_served(
    tmp_path: Path, database_url: str, fake_twilio: FakeTwilio
) -> AsyncIterator[SmsServed]:
    async with running(sms_settings(tmp_path, database_url, fake_twilio)) as run:
        yield SmsServed(run.url, run.client, run.services, fake_twilio)
