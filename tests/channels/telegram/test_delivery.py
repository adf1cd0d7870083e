"""Delivery through the outbox against a fake Bot API that fails, throttles and blocks."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.delivery.tables import FAILED, OutboxItem
from bot.storage.tables import Conversation
from tests.channels.telegram.conftest import Served, serve, telegram_settings
from tests.fakes import updates
from tests.fakes.telegram_api import FakeTelegram

CHAT = 800100200


async def test_429_is_retried_after_retry_after(served: Served) -> None:
    served.fake.fail_next("sendMessage", 429, retry_after=2)
    await served.post_update(updates.load("start_payload", chat_id=CHAT, update_id=1))
    assert await served.replies(1, CHAT, timeout=15)
    attempts = served.fake.calls_to("sendMessage")
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 2.0


async def test_network_and_server_errors_are_retried_with_backoff(served: Served) -> None:
    served.fake.fail_next("sendMessage", 500)
    served.fake.fail_next("sendMessage", 502)
    await served.post_update(updates.load("start_payload", chat_id=CHAT, update_id=1))
    assert await served.replies(1, CHAT, timeout=15)
    statuses = [c.status for c in served.fake.calls_to("sendMessage")]
    assert statuses == [500, 502, 200]


async def test_a_user_who_blocked_the_bot_is_marked_and_not_retried(served: Served) -> None:
    served.fake.fail_next("sendMessage", 403)
    await served.post_update(updates.load("start_payload", chat_id=CHAT, update_id=1))
    assert await served.settled()
    await asyncio.sleep(0.5)
    assert len(served.fake.calls_to("sendMessage")) == 1
    async with served.services.sessions() as session:
        (row,) = (await session.scalars(select(Conversation))).all()
        assert row.blocked


async def test_a_rejected_message_is_kept_as_failed_not_retried(served: Served) -> None:
    served.fake.fail_next("sendMessage", 400, description="Bad Request: chat not found")
    await served.post_update(updates.load("start_payload", chat_id=CHAT, update_id=1))
    for _ in range(100):
        async with served.services.sessions() as session:
            rows = (await session.scalars(select(OutboxItem))).all()
        if rows and rows[0].status == FAILED:
            break
        await asyncio.sleep(0.05)
    assert [r.status for r in rows] == [FAILED]
    await asyncio.sleep(0.3)
    assert len(served.fake.calls_to("sendMessage")) == 1


async def test_no_chat_id_in_clear_anywhere_in_the_database(served: Served) -> None:
    chat = 987654321
    await served.post_update(updates.load("start_payload", chat_id=chat, update_id=1))
    await served.post_update(updates.load("contact", chat_id=chat, update_id=2))
    await served.post_update(updates.text_update(3, chat, "1"))
    assert await served.replies(3, chat)
    contact = updates.load("contact", chat_id=chat)["message"]["contact"]["phone_number"]
    served.fake.fail_next("sendMessage", 500, count=5)  # keep something in the outbox
    await served.post_update(updates.text_update(4, chat, "2"))
    await asyncio.sleep(0.3)
    dump = await served.dump()
    everything = "\n".join(dump)
    assert dump, "the tables should hold something to inspect"
    assert str(chat) not in everything
    assert contact.lstrip("+") not in everything


@pytest.mark.slow
async def test_a_burst_from_100_chats_gets_every_reply_within_both_rates(
    tmp_path: Path, database_url: str
) -> None:
    with FakeTelegram(rate_global=30, rate_per_chat=1) as fake:
        settings = telegram_settings(
            tmp_path,
            database_url,
            fake,
            TELEGRAM_RATE_GLOBAL="30",
            TELEGRAM_RATE_PER_CHAT="1",
        )
        async with serve(settings, fake) as served:
            chats = [500_000 + n for n in range(100)]
            burst = []
            for round_ in range(3):
                for chat in chats:
                    if round_ == 0:
                        burst.append(updates.load("start_payload", chat_id=chat))
                    else:
                        burst.append(updates.text_update(0, chat, str(round_)))
            for update_id, update in enumerate(burst, start=1):
                update["update_id"] = update_id
            answers = await asyncio.gather(*(served.post_update(u) for u in burst))
            assert all(a.status_code == 200 for a in answers)
            assert await served.replies(300, timeout=60)
            assert await served.settled(timeout=10)
        sent = fake.sent()
        assert len(sent) == 300
        assert fake.throttled == 0
        per_chat: dict[int, list[float]] = defaultdict(list)
        for call in sent:
            per_chat[int(call.params["chat_id"])].append(call.at)
        assert set(per_chat) == set(chats)
        for times in per_chat.values():
            assert len(times) == 3
            assert all(b - a >= 0.98 for a, b in pairwise(times))
        times = sorted(call.at for call in sent)
        assert max(_in_window(times, i) for i in range(len(times))) <= 30


def _in_window(times: list[float], start: int) -> int:
    """Messages within one second from times[start]."""
    end = start
    while end < len(times) and times[end] < times[start] + 1.0:
        end += 1
    return end - start
