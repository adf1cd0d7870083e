"""Two `serve` processes on one PostgreSQL database, as behind a reverse proxy: every update is
answered exactly once and in order whichever process took it, the Telegram pace (30/s for the
bot) holds across both, and when one dies the other carries on alone."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.engine.engine import Engine
from tests.channels.telegram.conftest import SECRET, expected_texts, process_env
from tests.fakes import updates
from tests.fakes.telegram_api import FakeTelegram
from tests.serving import free_port, start_server, terminate, wait_healthy

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
LANGS = ("ru", "uz", "tg")


def conversation(chat: int, first_id: int) -> list[dict[str, Any]]:
    """A deep-link start in one of the languages, a topic by number, back to the menu."""
    lang = LANGS[chat % 3]
    steps = [f"/start {lang}", "1", "/menu"]
    return [
        updates.text_update(first_id + n, chat, text, language_code=lang)
        for n, text in enumerate(steps)
    ]


@dataclass
class Cluster:
    """Processes behind one address; `deliver` posts like Telegram through a reverse proxy."""

    urls: list[str]
    servers: list[subprocess.Popen[bytes]]
    logs: list[Path]
    accepted: set[int] = field(default_factory=set)

    async def deliver(self, client: httpx.AsyncClient, update: dict[str, Any], first: int) -> None:
        """Post until some process answers 200, starting with process `first`."""
        for attempt in range(600):
            url = self.urls[(first + attempt) % len(self.urls)]
            with contextlib.suppress(httpx.TransportError):
                response = await client.post(
                    f"{url}/telegram/webhook", json=update, headers=HEADERS
                )
                if response.status_code == 200:
                    self.accepted.add(int(update["update_id"]))
                    return
            await asyncio.sleep(0.05)
        raise AssertionError(f"update {update['update_id']} never accepted")

    def leader(self) -> int:
        """Which process sends to Telegram (it logs taking the lead)."""
        leading = [
            n
            for n, log in enumerate(self.logs)
            if "telegram-sender: this process leads" in log.read_text()
        ]
        assert len(leading) == 1, leading
        return leading[0]


@contextlib.asynccontextmanager
async def cluster(
    tmp_path: Path, database_url: str, fake: FakeTelegram, size: int = 2
) -> AsyncIterator[Cluster]:
    env = process_env(tmp_path, database_url, fake)
    ports = [free_port() for _ in range(size)]
    logs = [tmp_path / f"server{n}.log" for n in range(size)]
    servers: list[subprocess.Popen[bytes]] = []
    try:
        # one after the other: the first applies the migrations
        async with httpx.AsyncClient(timeout=5) as client:
            for port, log in zip(ports, logs, strict=True):
                servers.append(start_server(env, port, log))
                client.base_url = httpx.URL(f"http://127.0.0.1:{port}")
                await wait_healthy(client, servers[-1])
        yield Cluster([f"http://127.0.0.1:{port}" for port in ports], servers, logs)
    finally:
        terminate(servers)


def received(fake: FakeTelegram, chat: int) -> list[str]:
    return [str(call.params["text"]) for call in fake.sent(chat)]


def collapse(texts: list[str]) -> list[str]:
    """Adjacent repeats folded: a message re-sent after a crash comes right after itself."""
    return [text for n, text in enumerate(texts) if n == 0 or texts[n - 1] != text]


async def test_two_processes_answer_every_update_once_in_order_at_the_bots_pace(
    tmp_path: Path, postgres_url: str, fake: FakeTelegram, engine: Engine
) -> None:
    chats = [700_000 + n for n in range(60)]
    waves = {chat: conversation(chat, 1 + 10 * n) for n, chat in enumerate(chats)}
    expected = {chat: expected_texts(engine, wave) for chat, wave in waves.items()}
    async with cluster(tmp_path, postgres_url, fake) as running:
        async with httpx.AsyncClient(timeout=5) as client:

            async def user(chat: int) -> None:
                # each update of a chat goes to the other process than the one before
                for n, update in enumerate(waves[chat]):
                    await running.deliver(client, update, first=(chat + n) % 2)

            await asyncio.gather(*(user(chat) for chat in chats))
            total = sum(len(texts) for texts in expected.values())
            assert await fake.wait_until_async(lambda: len(fake.sent()) >= total, timeout=90)
            await asyncio.sleep(1.5)  # anything sent twice would arrive by now
        running.leader()  # exactly one process sent
        logs = "\n".join(log.read_text() for log in running.logs)
    assert total >= len(chats) * 3
    for chat in chats:
        assert received(fake, chat) == expected[chat], (chat, logs[-3000:])
    assert fake.throttled == 0
    assert "Traceback" not in logs


async def test_when_the_sending_process_dies_the_other_takes_over(
    tmp_path: Path, postgres_url: str, fake: FakeTelegram, engine: Engine
) -> None:
    chats = [800_000 + n for n in range(60)]
    waves = {chat: conversation(chat, 1 + 10 * n) for n, chat in enumerate(chats)}
    expected = {chat: expected_texts(engine, wave) for chat, wave in waves.items()}
    total = sum(len(texts) for texts in expected.values())
    async with (
        cluster(tmp_path, postgres_url, fake) as running,
        httpx.AsyncClient(timeout=5) as client,
    ):

        async def user(chat: int) -> None:
            for update in waves[chat]:
                await running.deliver(client, update, first=random.randrange(2))

        burst = asyncio.gather(*(user(chat) for chat in chats))
        assert await fake.wait_until_async(lambda: len(fake.sent()) >= 40, timeout=60)
        victim = running.leader()
        running.servers[victim].send_signal(signal.SIGKILL)
        running.servers[victim].wait()
        sent_before = len(fake.sent())
        await burst
        assert await fake.wait_until_async(
            lambda: all(collapse(received(fake, chat)) == expected[chat] for chat in chats),
            timeout=90,
        ), [chat for chat in chats if collapse(received(fake, chat)) != expected[chat]]
        survivor = running.logs[1 - victim].read_text()
    assert sent_before < total, "the kill should land mid-burst"
    assert len(running.accepted) == sum(len(wave) for wave in waves.values())
    assert "telegram-sender: this process leads" in survivor
    duplicates = len(fake.sent()) - total
    print(f"sent before the kill: {sent_before} of {total}; sent twice: {duplicates}")
    assert duplicates <= 32  # at most what was in flight when the process died
    assert fake.throttled == 0
