"""The web channel's sending side, put together for the runtime: the hub of open pages, the
transport and its outbox sender, and what happens when a page opens: the visitor's replies still
waiting in the outbox (retried rarely while nobody was there) become due now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.channels.web.hub import Hub
from bot.channels.web.transport import CHANNEL, WebTransport
from bot.delivery.pacing import Pacer
from bot.delivery.sender import OutboxSender
from bot.delivery.tables import PENDING, OutboxItem
from bot.storage.pseudonym import pseudonym
from bot.storage.sealed import Sealer

RATE = 20.0
"""Pieces per second over all pages: generous, the platform is our own process."""
RATE_PER_VISITOR = 5.0


class BringForward:
    """On a page opening: make the visitor's waiting replies due and wake the sender."""

    def __init__(
        self,
        sessions: async_sessionmaker[Any],
        secret: bytes,
        wake: Callable[[], None],
        *,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.sessions = sessions
        self.secret = secret
        self.wake = wake
        self.clock = clock

    async def __call__(self, address: str) -> None:
        now = self.clock()
        waiting = (
            OutboxItem.channel == CHANNEL,
            OutboxItem.conversation_id == pseudonym(self.secret, CHANNEL, address),
            OutboxItem.status == PENDING,
            OutboxItem.not_before > now,
        )
        async with self.sessions() as session, session.begin():
            # look first: most pages open with nothing waiting, and a read takes no write lock
            if await session.scalar(select(OutboxItem.id).where(*waiting).limit(1)) is None:
                return
            await session.execute(update(OutboxItem).where(*waiting).values(not_before=now))
        self.wake()


def open_web(
    sessions: async_sessionmaker[Any], secret: bytes, sealer: Sealer
) -> tuple[Hub, OutboxSender]:
    """The hub the routes stream from, and the outbox sender the runtime runs. The sender looks
    only at the visitors with a page open on this process: with several processes behind one
    address, each delivers to the pages it holds, and a reply for a visitor with no page open
    anywhere waits, untried, until one opens (which brings it due at once)."""
    hub = Hub(key=lambda address: pseudonym(secret, CHANNEL, address))
    sender = OutboxSender(
        WebTransport(hub),
        sessions,
        sealer,
        Pacer(RATE, RATE_PER_VISITOR),
        only=hub.conversations,
    )
    hub.on_open = BringForward(sessions, secret, sender.wake)
    return hub, sender
