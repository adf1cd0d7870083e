"""The web transport: rendering, and what a send's outcome is with and without a page."""

from __future__ import annotations

import asyncio

from bot.channels.web.hub import Hub
from bot.channels.web.transport import RETRY_AWAY, RETRY_PRESENT, WebTransport
from bot.delivery.sender import Delivered, Retry
from bot.engine.messages import OptionOut, Outgoing


def test_a_message_is_one_piece_with_every_option_as_a_button() -> None:
    message = Outgoing(
        "Текст\n\nещё",
        (OptionOut("work_permit.about:0", "Патент", 1), OptionOut("lang:uz", "Oʻzbekcha", -1)),
        sms_text="коротко",
    )
    assert WebTransport(Hub()).render(message) == [
        {
            "text": "Текст\n\nещё",
            "options": [
                {"id": "work_permit.about:0", "label": "Патент"},
                {"id": "lang:uz", "label": "Oʻzbekcha"},
            ],
        }
    ]


async def test_delivered_when_a_page_writes_it() -> None:
    hub = Hub()
    transport = WebTransport(hub)
    async with hub.connect("a") as stream:

        async def write() -> None:
            delivery = await stream.next()
            assert delivery is not None
            delivery.settle(True)

        writer = asyncio.create_task(write())
        assert await transport.send("a", {"text": "x", "options": []}) == Delivered()
        await writer


async def test_retried_soon_while_the_visitor_is_around_and_late_once_gone() -> None:
    now = [0.0]
    hub = Hub(clock=lambda: now[0])
    transport = WebTransport(hub)
    piece = {"text": "x", "options": []}
    away = await transport.send("a", piece)
    assert isinstance(away, Retry) and away.after == RETRY_AWAY
    async with hub.connect("a"):
        pass
    soon = await transport.send("a", piece)
    assert isinstance(soon, Retry) and soon.after == RETRY_PRESENT
    now[0] += 3600
    late = await transport.send("a", piece)
    assert isinstance(late, Retry) and late.after == RETRY_AWAY


async def test_shutting_down_leaves_the_message_for_the_next_start() -> None:
    hub = Hub()
    async with hub.connect("a"):
        hub.close()
        outcome = await WebTransport(hub).send("a", {"text": "x", "options": []})
    assert isinstance(outcome, Retry) and outcome.after == RETRY_AWAY
