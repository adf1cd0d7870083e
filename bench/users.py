"""Simulated users (closed loop): each walks its conversation, sending the next step only once
the replies to the previous one have all arrived at the fake platform, plus a think time.

Webhooks are posted as the platforms post them: Telegram updates with the secret header, Twilio
forms signed for PUBLIC_URL + path, retried while the server does not answer 200 (as the
platforms retry). With several servers the posts go round robin, as a reverse proxy spreads them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.tracker import Tracker, sms_key, telegram_key
from bench.walk import SMS, TELEGRAM, Model, Send, Walk
from tests.fakes import updates
from tests.fakes.twilio_api import TEST_NUMBER, inbound_form, signature

PUBLIC_URL = "https://helpline.example.org"
WEBHOOK_SECRET = "bench-webhook-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TELEGRAM_PATH = "/telegram/webhook"
SMS_PATH = "/sms/twilio"
POST_ATTEMPTS = 20
PREFIXES = {"ru": "+7916", "uz": "+99890", "tg": "+99292"}


@dataclass
class StepRecord:
    sent_at: float
    """When the user sent it (before waiting for a connection)."""
    latency: float | None
    """Webhook round trip of the accepted attempt (None: never accepted)."""
    expected: int
    expected_total: int
    """The user's expected messages up to and including this step."""
    errors: int = 0
    """Attempts answered other than 200 (or not at all)."""


@dataclass
class UserRecord:
    key: str
    channel: str
    steps: list[StepRecord] = field(default_factory=list)
    timed_out: bool = False


def telegram_update(update_id: int, chat_id: int, send: Send, app_lang: str) -> dict[str, Any]:
    """The update Telegram posts when this user sends `send` (a button press: a callback query)."""
    if send.choice is not None:
        return updates.button_update(update_id, chat_id, send.choice, app_lang)
    text = "/start" if send.start else send.text or ""
    return updates.text_update(update_id, chat_id, text, app_lang)


TELEGRAM_HEADERS = {SECRET_HEADER: WEBHOOK_SECRET, "Content-Type": "application/json"}


@dataclass
class Poster:
    """Posts webhooks to the servers, at most `concurrency` at once (like Telegram's
    max_connections), round robin over the servers."""

    session: aiohttp.ClientSession
    servers: Sequence[str]
    auth_token: str
    concurrency: int = 64
    _slots: asyncio.Semaphore = field(init=False)
    _next: itertools.cycle[str] = field(init=False)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _sids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self._slots = asyncio.Semaphore(self.concurrency)
        self._next = itertools.cycle(self.servers)

    def telegram_update(self, chat_id: int, send: Send, app_lang: str) -> dict[str, Any]:
        return telegram_update(next(self._update_ids), chat_id, send, app_lang)

    def sms_form(self, number: str, text: str) -> dict[str, str]:
        sid = f"SM{next(self._sids):032x}"
        return inbound_form(from_=number, body=text, message_sid=sid, to=TEST_NUMBER)

    async def post_telegram(self, update: dict[str, Any]) -> tuple[float | None, int]:
        return await self._post(TELEGRAM_PATH, json.dumps(update).encode(), TELEGRAM_HEADERS)

    async def post_sms(self, form: dict[str, str]) -> tuple[float | None, int]:
        headers = {"X-Twilio-Signature": signature(PUBLIC_URL + SMS_PATH, form, self.auth_token)}
        return await self._post(SMS_PATH, form, headers)

    async def _post(
        self, path: str, data: bytes | dict[str, str], headers: dict[str, str]
    ) -> tuple[float | None, int]:
        """(latency of the accepted attempt or None, attempts that failed)."""

        async def attempt() -> float | None:
            async with self._slots:
                began = time.monotonic()
                try:
                    url = next(self._next) + path
                    async with self.session.post(url, data=data, headers=headers) as response:
                        await response.read()
                        return time.monotonic() - began if response.status == 200 else None
                except (aiohttp.ClientError, TimeoutError):
                    return None

        return await until_accepted(attempt)


async def until_accepted(
    attempt: Callable[[], Awaitable[float | None]],
) -> tuple[float | None, int]:
    """Post until accepted, at most POST_ATTEMPTS times, waiting longer after each failure, as
    a platform retries a webhook: (latency of the accepted attempt or None, attempts that
    failed)."""
    errors = 0
    for _ in range(POST_ATTEMPTS):
        latency = await attempt()
        if latency is not None:
            return latency, errors
        errors += 1
        await asyncio.sleep(min(2.0, 0.1 * errors))
    return None, errors


@dataclass
class Crowd:
    """The users of one phase and how they behave."""

    model: Model
    poster: Poster
    tracker: Tracker
    rng: random.Random
    think: tuple[float, float] = (1.0, 3.0)
    step_timeout: float = 120.0
    records: list[UserRecord] = field(default_factory=list)
    _chat_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(7_000_000))
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1_000_000))

    async def user(self, channel: str, deadline: float) -> UserRecord:
        """One user's whole conversation (stops early at `deadline`, a monotonic time)."""
        profile = self.model.profile(self.rng, channel)
        walk = Walk(self.model, profile, random.Random(self.rng.random()))
        if channel == TELEGRAM:
            chat_id = next(self._chat_ids)
            key = telegram_key(chat_id)
        else:
            number = f"{PREFIXES[profile.lang]}{next(self._numbers):07d}"
            key = sms_key(number)
        record = UserRecord(key, channel)
        self.records.append(record)
        total = 0
        while (send := walk.next_send()) is not None and time.monotonic() < deadline:
            expected = walk.expect(send)
            total += expected
            sent_at = time.monotonic()
            if channel == TELEGRAM:
                update = self.poster.telegram_update(chat_id, send, profile.app_lang)
                latency, errors = await self.poster.post_telegram(update)
            else:
                form = self.poster.sms_form(number, send.text or "")
                latency, errors = await self.poster.post_sms(form)
            record.steps.append(StepRecord(sent_at, latency, expected, total, errors))
            if latency is None:
                break
            timeout = min(self.step_timeout, max(0.0, deadline - time.monotonic()))
            if not await self.tracker.wait_for(key, total, timeout):
                record.timed_out = True
                break
            await asyncio.sleep(self.rng.uniform(*self.think))
        return record

    async def wave(self, telegram: int, sms: int, spread: float, deadline: float) -> None:
        """`telegram` + `sms` users arriving at random within `spread` seconds (a TV spot)."""
        channels = [TELEGRAM] * telegram + [SMS] * sms
        self.rng.shuffle(channels)

        async def arrive(channel: str) -> None:
            await asyncio.sleep(self.rng.uniform(0, spread))
            await self.user(channel, deadline)

        await asyncio.gather(*(arrive(channel) for channel in channels))

    async def stream(self, per_second: float, sms_share: float, until: float) -> None:
        """Users arriving steadily (Poisson) until `until`: the soak's load."""
        tasks: set[asyncio.Task[UserRecord]] = set()
        while time.monotonic() < until:
            channel = SMS if self.rng.random() < sms_share else TELEGRAM
            task = asyncio.create_task(self.user(channel, until + self.step_timeout))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            await asyncio.sleep(self.rng.expovariate(per_second))
        if tasks:
            await asyncio.gather(*tasks)
