"""The web channel's sending side through the real server: replies wait in the outbox for a page,
travel as data, and the visitor's token is kept out of storage and logs."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest
from sqlalchemy import select

from bot.channels.web.transport import CHANNEL
from bot.delivery import outbox
from bot.delivery.tables import OutboxItem
from bot.engine.messages import OptionOut, Outgoing
from bot.storage.pseudonym import pseudonym
from bot.storage.sealed import Sealer
from tests.channels.web.conftest import Visitor
from tests.serving import Running


async def queued(run: Running) -> list[OutboxItem]:
    async with run.services.sessions() as session:
        return list(await session.scalars(select(OutboxItem)))


async def waiting(run: Running, timeout: float = 10) -> list[OutboxItem]:
    """The outbox once a reply is queued for a visitor with no page open: kept, and not even
    tried (the sender looks only at the pages this process holds)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        items = await queued(run)
        if items:
            await asyncio.sleep(0.5)  # several sender rounds
            items = await queued(run)
            assert all(item.attempts == 0 for item in items)
            return items
        await asyncio.sleep(0.05)
    raise AssertionError("nothing was queued")


async def test_a_reply_waits_until_a_page_connects(served: Running, visitor: Visitor) -> None:
    assert (await visitor.start("?lang=ru")).status_code == 202
    items = await waiting(served)
    assert [item.channel for item in items] == [CHANNEL]
    async with visitor.events() as events:
        piece = await events.next(timeout=5)  # opening the page brought it due at once
    assert "\n\n" in piece["text"] and piece["options"]
    assert await served.settled()


async def test_a_page_that_reconnects_gets_what_came_meanwhile(
    served: Running, visitor: Visitor
) -> None:
    async with visitor.events() as events:
        await visitor.start("?lang=ru")
        await events.next()
    assert (await visitor.send(text="меню")).status_code == 202
    await waiting(served)
    async with visitor.events() as events:
        piece = await events.next(timeout=5)
    assert piece["options"]


async def test_every_open_page_of_a_visitor_gets_the_reply(
    served: Running, visitor: Visitor
) -> None:
    async with visitor.events() as one, visitor.events() as two:
        await visitor.start("?lang=ru")
        assert (await one.next())["text"] == (await two.next())["text"]


async def test_an_operator_reply_with_markup_arrives_as_plain_data(
    served: Running, visitor: Visitor
) -> None:
    services = served.services
    secret = services.settings.resolved_secret_key()
    markup = "<script>alert('x')</script> & <b>"
    async with visitor.events() as events:
        async with services.sessions() as session, session.begin():
            outbox.enqueue(
                session,
                channel=CHANNEL,
                conversation_id=pseudonym(secret, CHANNEL, visitor.secret),
                address=Sealer(secret).seal(visitor.secret),
                messages=[Outgoing(markup, (OptionOut("nav:menu", "<i>menu</i>", -1),))],
                now=dt.datetime.now(dt.UTC),
                sealer=Sealer(secret),
            )
        services.senders[CHANNEL].wake()
        piece = await events.next()
    assert piece == {"text": markup, "options": [{"id": "nav:menu", "label": "<i>menu</i>"}]}


async def test_typed_markup_is_taken_as_text(served: Running, visitor: Visitor) -> None:
    async with visitor.events() as events:
        await visitor.start("?lang=ru")
        await events.next()
        assert (await visitor.send(text="<script>alert(1)</script>")).status_code == 202
        piece = await events.next()
    assert "<script>" not in piece["text"]  # not understood, and never repeated back


async def test_the_visitor_token_is_neither_stored_nor_logged(
    served: Running, visitor: Visitor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with visitor.events() as events:
        await visitor.start("?lang=ru")
        await events.next()
        await visitor.send(text="патент")
        await events.next()
    await visitor.send(text="меню")  # and one left waiting in the outbox
    await waiting(served)
    assert visitor.secret
    assert not [value for value in await served.dump() if visitor.secret in value]
    assert visitor.secret not in caplog.text
    assert not [r for r in caplog.records if visitor.secret in repr(r.args)]


async def test_a_page_reconnecting_after_a_drop_gets_what_it_missed(
    served: Running, visitor: Visitor
) -> None:
    async with visitor.events() as events:
        await visitor.start("?lang=ru")
        await events.next()
        await visitor.send(text="меню")
        missed = await events.next()  # written, but say the phone never got it
    first, second = events.ids
    assert first != second
    async with visitor.events(last_event_id=first) as again:
        assert await again.next() == missed and again.ids == [second]
    async with visitor.events(last_event_id=second) as again:
        assert await again.quiet(0.5)
    async with visitor.events(last_event_id="feedface.1") as again:
        assert await again.quiet(0.5)  # an id from another process (before a restart)
