"""Fixtures for the Telegram channel: the fake Bot API and the real server (uvicorn, in this
test's event loop) configured to talk to it."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.channels.telegram.render import render
from bot.channels.telegram.updates import read
from bot.delivery.inbound import START
from bot.engine.engine import Engine
from bot.engine.messages import Incoming
from bot.engine.state import State
from bot.settings import Settings
from tests.conftest import make_settings
from tests.fakes.telegram_api import FakeTelegram
from tests.serving import Running, running

SECRET = "test-webhook-secret"
PUBLIC_URL = "https://helpline.example.org"


@dataclass
class Served(Running):
    fake: FakeTelegram

    async def post_update(self, update: dict[str, Any], *, secret: str = SECRET) -> httpx.Response:
        return await self.client.post(
            "/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": secret},
        )

    async def replies(self, count: int, chat_id: int | None = None, timeout: float = 10) -> bool:
        """Wait until the fake has accepted at least `count` messages (for one chat)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.fake.sent(chat_id)) < count:
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True


def telegram_settings(
    tmp_path: Path, database_url: str, fake: FakeTelegram, **env: str
) -> Settings:
    base = {
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_URL": fake.url,
        "PUBLIC_URL": PUBLIC_URL,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_RATE_GLOBAL": "1000",
        "TELEGRAM_RATE_PER_CHAT": "1000",
    }
    return make_settings(tmp_path, database_url, **{**base, **env})


def process_env(tmp_path: Path, database_url: str, fake: FakeTelegram) -> dict[str, str]:
    """The environment of a `python -m bot serve` process talking to `fake` by webhook."""
    return {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": database_url,
        "BOT_SECRET_KEY": "test-secret-key",
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_URL": fake.url,
        "PUBLIC_URL": PUBLIC_URL,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "OPERATOR_BOOTSTRAP": "0",
    }


@contextlib.asynccontextmanager
async def serve(
    settings: Settings, fake: FakeTelegram, *, watch_content: bool = False
) -> AsyncIterator[Served]:
    """The real app on a loopback port, talking to `fake`, until the block ends."""
    async with running(settings, watch_content=watch_content) as run:
        yield Served(run.url, run.client, run.services, fake)


@pytest.fixture
async def served(
    tmp_path: Path, database_url: str, fake_telegram: FakeTelegram
) -> AsyncIterator[Served]:
    settings = telegram_settings(tmp_path, database_url, fake_telegram)
    async with serve(settings, fake_telegram) as running:
        yield running


def expected_texts(engine: Engine, wave: list[dict[str, Any]]) -> list[str]:
    """What the fake must receive for one chat's updates, worked out by the same engine."""
    state, texts = State(), []
    for update in wave:
        inbound = read(update)
        if inbound.kind == START:
            result = engine.start(state, lang=inbound.lang, lang_hint=inbound.lang_hint)
        else:
            result = engine.handle(state, Incoming(inbound.text, inbound.choice, inbound.lang_hint))
        state = result.state
        texts += [piece.html for message in result.messages for piece in render(message)]
    return texts
