"""The console's live views: server-sent events for the queue and for one conversation, their
end at logout, and a server shutdown that does not wait for open consoles."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from bot.operators.notify import Notifier
from bot.operators.streams import queue_events
from tests.channels.telegram.conftest import Served, serve
from tests.fakes.telegram_api import FakeTelegram
from tests.operators.conftest import (
    ask_operator,
    console_settings,
    events,
    next_event,
    operator_browser,
    stream,
    user_says,
)

CHAT = 5_120_348_811


async def test_the_queue_stream_brings_a_new_request_without_reloading(served: Served) -> None:
    browser = await operator_browser(served, "olga", "ru")
    async with stream(served, browser, "/operator/events") as feed:
        first = await next_event(feed, "queue")
        assert first.data["waiting"] == [] and first.data["mine"] == []
        row = await ask_operator(served, CHAT, "ru", 100)
        update = await next_event(feed, "queue")
        assert [item["tag"] for item in update.data["waiting"]] == [row.tag]
        item = update.data["waiting"][0]
        assert item["lang_label"] == "Русский" and item["channel_label"] == "Telegram"
        payload = json.dumps(update.data)
        assert row.conversation_id not in payload and str(CHAT) not in payload
        await browser.post(f"/operator/c/{row.id}/take")
        taken = await next_event(feed, "queue")
        assert taken.data["waiting"] == [] and [i["tag"] for i in taken.data["mine"]] == [row.tag]


async def test_the_queue_stream_skips_requests_in_other_languages(served: Served) -> None:
    browser = await operator_browser(served, "farrukh", "tg")
    async with stream(served, browser, "/operator/events") as feed:
        await next_event(feed, "queue")
        await ask_operator(served, CHAT, "ru", 100)
        tajik = await ask_operator(served, CHAT + 1, "tg", 200)
        update = await next_event(feed, "queue")
        assert [item["tag"] for item in update.data["waiting"]] == [tajik.tag]


async def test_the_conversation_stream_brings_new_lines(served: Served) -> None:
    row = await ask_operator(served, CHAT, "ru", 100)
    browser = await operator_browser(served, "olga", "ru")
    await browser.post(f"/operator/c/{row.id}/take")
    async with stream(served, browser, f"/operator/c/{row.id}/events?after=0") as feed:
        status = await next_event(feed, "status")
        assert status.data["status"] == "taken" and status.data["actions"]["reply"]
        history = await next_event(feed, "lines")
        assert [line["kind"] for line in history.data] == ["event", "event"]
        await user_says(served, CHAT, 102, "<b>Помогите</b> с патентом")
        new = await next_event(feed, "lines")
        assert [(line["kind"], line["text"]) for line in new.data] == [
            ("user", "<b>Помогите</b> с патентом")
        ]
        assert new.id == str(new.data[-1]["id"])
        assert row.conversation_id not in json.dumps(new.data)
    last_seen = new.id
    assert last_seen is not None
    await browser.post(f"/operator/c/{row.id}/reply", {"text": "Здравствуйте"})
    # A reconnecting browser sends the last id it saw and gets only what came after.
    async with stream(
        served, browser, f"/operator/c/{row.id}/events?after=0", {"Last-Event-ID": last_seen}
    ) as feed:
        resumed = await next_event(feed, "lines")
        assert [(line["kind"], line["text"]) for line in resumed.data] == [
            ("operator", "Здравствуйте")
        ]
        assert resumed.data[0]["who"] == "olga"


async def test_the_conversation_stream_follows_its_state(served: Served) -> None:
    row = await ask_operator(served, CHAT, "ru", 100)
    olga = await operator_browser(served, "olga", "ru")
    marat = await operator_browser(served, "marat", "ru")
    async with stream(served, olga, f"/operator/c/{row.id}/events") as feed:
        assert (await next_event(feed, "status")).data["actions"]["take"]
        await marat.post(f"/operator/c/{row.id}/take")
        status = await next_event(feed, "status")
        assert status.data["status"] == "taken"
        assert not any(status.data["actions"].values())  # someone else's now


async def test_logging_out_ends_the_streams(served: Served) -> None:
    browser = await operator_browser(served, "olga", "ru")
    async with stream(served, browser, "/operator/events") as feed:
        await next_event(feed, "queue")
        await browser.post("/operator/logout")
        await next_event(feed, "logout")


async def test_shutdown_does_not_wait_for_open_streams(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    settings = console_settings(
        tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", fake_telegram
    )
    server = serve(settings, fake_telegram)
    served = await server.__aenter__()
    browser = await operator_browser(served, "olga", "ru")
    loop = asyncio.get_running_loop()
    async with (
        httpx.AsyncClient(base_url=served.url, timeout=10) as client,
        client.stream("GET", "/operator/events", headers=browser.headers()) as one,
        client.stream("GET", "/operator/events", headers=browser.headers()) as two,
    ):
        for response in (one, two):
            await next_event(events(response), "queue")
        started = loop.time()
        await asyncio.wait_for(server.__aexit__(None, None, None), timeout=10)
        assert loop.time() - started < 5


async def test_a_failed_read_is_retried_and_does_not_end_the_stream() -> None:
    reads: list[str] = []

    async def load() -> dict[str, Any] | None:
        reads.append("read")
        if len(reads) == 1:
            raise OSError("the database is away for a moment")
        return {"waiting": [], "mine": []} if len(reads) == 2 else None

    notifier = Notifier()

    async def nudge() -> None:
        while True:
            notifier.touch()
            await asyncio.sleep(0.01)

    nudging = asyncio.create_task(nudge())
    try:
        sent = [event.event async for event in queue_events(load, notifier)]
    finally:
        nudging.cancel()
    assert sent == ["queue", "logout"] and len(reads) == 3
