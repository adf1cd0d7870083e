"""One chat sending 50 messages a second is answered for the first ten, told once to slow down,
and not answered again until it does; a chat talking at the same time is answered in full."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

from bot.channels.telegram.render import render
from bot.delivery.turns import FLOOD_LIMIT, FLOOD_WINDOW, TOO_FAST
from bot.engine.messages import Outgoing
from tests.channels.telegram.conftest import Served, expected_texts
from tests.fakes import updates


def texts(served: Served, chat: int) -> list[str]:
    return [str(call.params["text"]) for call in served.fake.sent(chat)]


async def test_a_flooding_chat_is_throttled_without_slowing_anyone_else(served: Served) -> None:
    engine = served.services.content.engine
    flooder, other = 4242, 4343
    flood = [
        updates.text_update(1000 + n, flooder, "/start uz" if n == 0 else "1", language_code="uz")
        for n in range(50)
    ]
    talk = [
        updates.text_update(2000 + n, other, text, language_code="tg")
        for n, text in enumerate(["/start tg", "1", "/menu"])
    ]
    expected_other = expected_texts(engine, talk)
    notice = render(Outgoing(engine.texts.render("uz", TOO_FAST)))[0].html
    expected_flooder = [*expected_texts(engine, flood[:FLOOD_LIMIT]), notice]
    latencies: list[float] = []

    async def talker() -> None:
        for count, (update, reply) in enumerate(zip(talk, expected_other, strict=True), 1):
            started = time.monotonic()
            assert (await served.post_update(update)).status_code == 200
            assert await served.replies(count, other), reply
            latencies.append(time.monotonic() - started)

    async def flood_all() -> list[int]:
        return [(await served.post_update(u)).status_code for u in flood]

    statuses, _ = await asyncio.gather(flood_all(), talker())
    assert statuses == [200] * 50  # all accepted: the platform must not retry them
    assert await served.settled()
    await asyncio.sleep(0.3)
    assert texts(served, other) == expected_other
    assert texts(served, flooder) == expected_flooder
    print(f"the other chat's replies took {', '.join(f'{t:.2f}s' for t in latencies)}")

    # once the window has passed, the same chat is answered again
    later = dt.datetime.now(dt.UTC) + FLOOD_WINDOW + dt.timedelta(seconds=1)
    served.services.intake.clock = lambda: later
    again = await served.post_update(updates.text_update(3000, flooder, "/menu"))
    assert again.status_code == 200
    assert await served.replies(len(expected_flooder) + 1, flooder)
    assert served.fake.sent(flooder)[-1].params.get("reply_markup")  # the menu, with buttons
