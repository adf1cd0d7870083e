"""Fixtures for the Telegram channel: the fake Bot API and the real server (uvicorn, in this
test's event loop) configured to talk to it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from bot.delivery.inbox import pending_conversations
from bot.delivery.outbox import count_pending
from bot.runtime import Runtime
from bot.settings import Settings
from bot.web.app import create_app
from tests.conftest import make_settings
from tests.fakes.telegram_api import FakeTelegram

SECRET = "test-webhook-secret"
PUBLIC_URL = "https://helpline.example.org"


@dataclass
class Served:
    url: str
    client: httpx.AsyncClient
    runtime: Runtime
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

    async def settled(self, timeout: float = 10) -> bool:
        """Wait until the inbox is processed and the outbox empty."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            async with self.runtime.app.service.sessions() as session:
                pending = await count_pending(session)
                waiting = await pending_conversations(session, 1)
            if not pending and not waiting:
                return True
            await asyncio.sleep(0.05)
        return False


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        yield fake


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


@contextlib.asynccontextmanager
async def serve(
    settings: Settings, fake: FakeTelegram, *, watch_content: bool = False
) -> AsyncIterator[Served]:
    """The real app on a loopback port, in this event loop, until the block ends."""
    app = create_app(settings, watch_content=watch_content)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    runtime: Runtime = app.state.runtime
    if runtime.telegram is not None:
        await asyncio.wait_for(runtime.telegram.ready.wait(), timeout=10)
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        try:
            yield Served(url, client, runtime, fake)
        finally:
            server.should_exit = True
            await task


@pytest.fixture
async def served(
    tmp_path: Path, database_url: str, fake_telegram: FakeTelegram
) -> AsyncIterator[Served]:
    settings = telegram_settings(tmp_path, database_url, fake_telegram)
    async with serve(settings, fake_telegram) as running:
        yield running
