"""The server as a process and as an app: health, long polling, and a kill -9 in the middle of
a burst that still answers every accepted update after a restart."""

from __future__ import annotations

import asyncio
import shutil
import signal
from collections import Counter
from pathlib import Path

import httpx
import pytest

from bot.storage.database import open_engine
from tests.channels.telegram.conftest import (
    SECRET,
    Served,
    process_env,
    serve,
    telegram_settings,
)
from tests.conftest import ROOT, make_settings
from tests.fakes import updates
from tests.fakes.telegram_api import FakeTelegram
from tests.serving import free_port, start_server, wait_healthy


async def test_healthz_reports_the_database(served: Served) -> None:
    response = await served.client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    reachable = served.services.core.db
    # a database nobody listens on: what the probe sees when the server has gone away
    served.services.core.db = open_engine("postgresql+asyncpg://nobody@127.0.0.1:9/none")
    try:
        response = await served.client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["database"] == "down"
    finally:
        await served.services.core.db.dispose()
        served.services.core.db = reachable


async def test_without_public_url_the_bot_long_polls(
    tmp_path: Path, database_url: str, fake_telegram: FakeTelegram
) -> None:
    settings = telegram_settings(tmp_path, database_url, fake_telegram, PUBLIC_URL="")
    fake_telegram.push_update(updates.load("start_payload", chat_id=42, update_id=7))
    async with serve(settings, fake_telegram) as served:
        assert await served.replies(1, 42)
        fake_telegram.push_update(updates.text_update(8, 42, "1"))
        fake_telegram.push_update(updates.text_update(8, 42, "1"))  # fetched twice: once
        assert await served.replies(2, 42)
        response = await served.client.post("/telegram/webhook", json={"update_id": 1})
        assert response.status_code == 404  # no webhook route without PUBLIC_URL
    assert fake_telegram.calls_to("deleteWebhook")
    assert not fake_telegram.calls_to("setWebhook")
    await asyncio.sleep(0.2)
    assert len(fake_telegram.sent(42)) == 2


@pytest.mark.slow
async def test_a_server_killed_mid_burst_answers_everything_after_restart(
    tmp_path: Path, database_url: str
) -> None:
    chats = [900_000 + n for n in range(100)]
    wave = [updates.load("start_payload", chat_id=chat) for chat in chats]
    wave += [updates.text_update(0, chat, "1") for chat in chats]
    for update_id, update in enumerate(wave, start=1):
        update["update_id"] = update_id
    port = free_port()
    log = tmp_path / "server.log"
    with FakeTelegram(rate_global=30, rate_per_chat=1) as fake:
        env = process_env(tmp_path, database_url, fake)
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        accepted: set[int] = set()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:

            async def deliver(update: dict[str, object]) -> None:
                """Like Telegram: post until answered 200."""
                while True:
                    try:
                        response = await client.post(
                            "/telegram/webhook", json=update, headers=headers
                        )
                        if response.status_code == 200:
                            accepted.add(int(str(update["update_id"])))
                            return
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)

            server = start_server(env, port, log)
            try:
                await wait_healthy(client, server)
                first = asyncio.gather(*(deliver(u) for u in wave[:100]))
                await first
                second = asyncio.gather(*(deliver(u) for u in wave[100:]))
                while len(accepted) < 150 or len(fake.sent()) < 40:
                    await asyncio.sleep(0.01)
                server.send_signal(signal.SIGKILL)
                server.wait()
                sent_before_restart = len(fake.sent())
                server = start_server(env, port, log)
                await wait_healthy(client, server)
                await second
                for _ in range(600):
                    if len({int(c.params["chat_id"]) for c in fake.sent()}) == 100 and all(
                        n >= 2
                        for n in Counter(int(c.params["chat_id"]) for c in fake.sent()).values()
                    ):
                        break
                    await asyncio.sleep(0.1)
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)
        per_chat = Counter(int(c.params["chat_id"]) for c in fake.sent())
        assert len(accepted) == 200
        assert 0 < sent_before_restart < 200, "the kill should land mid-burst"
        assert set(per_chat) == set(chats), log.read_text()[-3000:]
        assert all(count >= 2 for count in per_chat.values()), per_chat
        duplicates = sum(per_chat.values()) - 200
        print(
            f"sent before the kill: {sent_before_restart}; duplicates after restart: {duplicates}"
        )
        assert duplicates <= 32  # at most the messages in flight when the process died
        assert fake.throttled == 0


async def test_with_no_channel_configured_serve_still_runs(
    tmp_path: Path, database_url: str, fake_telegram: FakeTelegram
) -> None:
    settings = make_settings(tmp_path, database_url)
    async with serve(settings, fake_telegram) as served:
        assert "telegram" not in served.services.channels
        assert (await served.client.get("/healthz")).status_code == 200
        response = await served.client.post("/telegram/webhook", json={"update_id": 1})
        assert response.status_code == 404
    assert fake_telegram.calls == []


async def test_edited_content_reaches_running_conversations(
    tmp_path: Path, database_url: str, fake_telegram: FakeTelegram
) -> None:
    root = tmp_path / "root"
    for part in ("flows", "content"):
        shutil.copytree(ROOT / part, root / part)
    settings = telegram_settings(tmp_path, database_url, fake_telegram, CONTENT_ROOT=str(root))
    common = root / "content" / "uz" / "common.yaml"
    async with serve(settings, fake_telegram, watch_content=True) as served:
        await served.post_update(updates.load("start_payload", chat_id=5, update_id=1))
        assert await served.replies(1, 5)
        original = common.read_text()
        common.write_text(original.replace("  name: Oʻzbekcha", "  name: [unclosed"))
        engine = served.services.content.engine
        await asyncio.sleep(1.5)  # a broken edit: the last good content keeps serving
        assert served.services.content.engine is engine
        common.write_text(original.replace("Bosh menyu", "Asosiy menyu"))
        for _ in range(100):
            if served.services.content.engine.texts.render("uz", "common.nav.menu") == (
                "Asosiy menyu"
            ):
                break
            await asyncio.sleep(0.05)
        await served.post_update(updates.text_update(2, 5, "1"))
        assert await served.replies(2, 5)
        labels = [
            button["text"]
            for row in fake_telegram.sent(5)[-1].params["reply_markup"]["inline_keyboard"]
            for button in row
        ]
        assert "Asosiy menyu" in labels
