"""`serve --no-turns` taking the webhooks and `work` processes taking the turns, on one PostgreSQL
database: every update is answered exactly once and in order, button presses are acknowledged
once, the bot's pace holds, and when a `work` process is killed mid-burst the other finishes its
part. On SQLite both refuse to start, with a message saying why."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.engine.engine import Engine
from tests.channels.telegram.conftest import expected_texts, process_env
from tests.channels.web.conftest import Visitor
from tests.conftest import ROOT
from tests.fakes import updates
from tests.fakes.telegram_api import FakeTelegram
from tests.scaleout.test_processes import HEADERS, LANGS, collapse, received
from tests.serving import free_port, start_bot, start_server, terminate, wait_healthy

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def conversation(engine: Engine, chat: int, first_id: int) -> list[dict[str, Any]]:
    """A deep-link start, the menu's first button pressed, back to the menu, a number typed."""
    lang = LANGS[chat % 3]
    first_button = f"{engine.bundle.menu_ref}:0"
    return [
        updates.text_update(first_id, chat, f"/start {lang}", language_code=lang),
        updates.button_update(first_id + 1, chat, first_button, language_code=lang),
        updates.text_update(first_id + 2, chat, "/menu", language_code=lang),
        updates.text_update(first_id + 3, chat, "2", language_code=lang),
    ]


def plan(
    engine: Engine, chats: list[int]
) -> tuple[dict[int, list[dict[str, Any]]], dict[int, list[str]]]:
    """Each chat's updates, and the texts the fake must receive for them."""
    waves = {chat: conversation(engine, chat, 1 + 10 * n) for n, chat in enumerate(chats)}
    return waves, {chat: expected_texts(engine, wave) for chat, wave in waves.items()}


@contextlib.asynccontextmanager
async def split(
    tmp_path: Path, database_url: str, fake: FakeTelegram, workers: int
) -> AsyncIterator[tuple[str, list[subprocess.Popen[bytes]], list[Path]]]:
    """One `serve --no-turns` and `workers` `work` processes; (url, work processes, all logs)."""
    env = process_env(tmp_path, database_url, fake)
    port = free_port()
    logs = [tmp_path / "serve.log", *(tmp_path / f"work{n}.log" for n in range(workers))]
    started: list[subprocess.Popen[bytes]] = []
    try:
        started.append(start_server(env, port, logs[0], "--no-turns"))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            await wait_healthy(client, started[0])  # it applied the migrations
        work = [start_bot(env, log, "work", "--no-reload-content") for log in logs[1:]]
        started += work
        for log in logs[1:]:
            for _ in range(600):
                if log.exists() and "Working the inbox" in log.read_text():
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError(f"a work process did not start: {log.read_text()}")
        yield f"http://127.0.0.1:{port}", work, logs
    finally:
        terminate(started)


async def post_all(url: str, waves: dict[int, list[dict[str, Any]]]) -> None:
    async with httpx.AsyncClient(timeout=10) as client:

        async def user(chat: int) -> None:
            for update in waves[chat]:
                response = await client.post(
                    f"{url}/telegram/webhook", json=update, headers=HEADERS
                )
                assert response.status_code == 200, response.text

        await asyncio.gather(*(user(chat) for chat in waves))


async def test_work_processes_answer_every_update_once_in_order_and_acknowledge_buttons(
    tmp_path: Path, postgres_url: str, fake: FakeTelegram, engine: Engine
) -> None:
    chats = [900_000 + n for n in range(45)]
    waves, expected = plan(engine, chats)
    total = sum(len(texts) for texts in expected.values())
    async with split(tmp_path, postgres_url, fake, workers=2) as (url, _, logs):
        await post_all(url, waves)
        assert await fake.wait_until_async(lambda: len(fake.sent()) >= total, timeout=90)
        await asyncio.sleep(1.5)  # anything sent twice would arrive by now
        text = {log.name: log.read_text() for log in logs}
    for chat in chats:
        assert received(fake, chat) == expected[chat], chat
    assert len(fake.sent()) == total
    assert len(fake.calls_to("answerCallbackQuery")) == len(chats)  # each press, once
    assert fake.throttled == 0
    assert "processed by `work` processes" in text["serve.log"]
    assert not any("Traceback" in body for body in text.values()), text


async def test_when_a_work_process_is_killed_mid_burst_the_other_finishes(
    tmp_path: Path, postgres_url: str, fake: FakeTelegram, engine: Engine
) -> None:
    chats = [950_000 + n for n in range(60)]
    waves, expected = plan(engine, chats)
    total = sum(len(texts) for texts in expected.values())
    async with split(tmp_path, postgres_url, fake, workers=2) as (url, work, _):
        burst = asyncio.create_task(post_all(url, waves))
        assert await fake.wait_until_async(lambda: len(fake.sent()) >= 20, timeout=60)
        work[0].send_signal(signal.SIGKILL)
        work[0].wait()
        sent_before = len(fake.sent())
        await burst
        assert await fake.wait_until_async(
            lambda: all(collapse(received(fake, chat)) == expected[chat] for chat in chats),
            timeout=90,
        ), [chat for chat in chats if collapse(received(fake, chat)) != expected[chat]]
    assert sent_before < total, "the kill should land mid-burst"
    assert fake.throttled == 0


async def test_a_web_chat_visitor_is_answered_through_the_work_process(
    tmp_path: Path, postgres_url: str, fake: FakeTelegram
) -> None:
    """The reply is queued in the `work` process and streamed by the `serve` holding the page:
    the wake-up crosses processes."""
    async with split(tmp_path, postgres_url, fake, workers=1) as (url, _, _):
        browser = Visitor(url)
        try:
            assert (await browser.open("/chat?lang=ru")).status_code == 200
            cookie = browser.secret  # Secure (PUBLIC_URL is https): kept for plain http here
            browser.client.cookies.clear()
            browser.client.cookies.set("webchat", cookie, domain="127.0.0.1", path="/chat")
            async with browser.events() as events:
                assert (await browser.start()).status_code == 202
                first = await events.next(timeout=15)
                assert first.get("text"), first
        finally:
            await browser.close()


@pytest.mark.parametrize("command", [["work"], ["serve", "--no-turns"]])
def test_on_sqlite_turns_elsewhere_is_refused_with_the_reason(
    tmp_path: Path, command: list[str]
) -> None:
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/bot.db",
        "BOT_SECRET_KEY": "test-secret-key",
        "OPERATOR_BOOTSTRAP": "0",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "needs PostgreSQL" in done.stderr
