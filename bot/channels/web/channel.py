"""The web chat as a channel: its routes, the hub of open pages, the transport and its outbox
sender, and what happens when a page opens: the visitor's replies still waiting in the outbox
(retried rarely while nobody was there) become due now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.requests import Request
from starlette.routing import Route

from bot.channels.base import ChannelNeeds, Job
from bot.channels.web.hub import Hub
from bot.channels.web.routes import chat_routes
from bot.channels.web.transport import CHANNEL, WebTransport
from bot.delivery.pacing import Pacer
from bot.delivery.sender import OutboxSender
from bot.delivery.tables import PENDING, OutboxItem
from bot.delivery.turns import Acknowledge, Shaper
from bot.settings import Settings
from bot.storage.pseudonym import pseudonym
from bot.storage.sealed import Sealer
from bot.web import state

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


class WebChannel:
    """The web chat: pages post to its routes; each process sends to the pages it holds."""

    name = CHANNEL
    acknowledge: Acknowledge | None = None
    shaper: Shaper | None = None

    def __init__(self, sessions: async_sessionmaker[Any], secret: bytes, sealer: Sealer) -> None:
        """The sender looks only at the visitors with a page open on this process: with several
        processes behind one address, each delivers to the pages it holds, and a reply for a
        visitor with no page open anywhere waits, untried, until one opens (which brings it due
        at once)."""
        self.hub = Hub(key=lambda address: pseudonym(secret, CHANNEL, address))
        self.sender: OutboxSender | None = OutboxSender(
            WebTransport(self.hub),
            sessions,
            sealer,
            Pacer(RATE, RATE_PER_VISITOR),
            only=self.hub.conversations,
        )
        self.hub.on_open = BringForward(sessions, secret, self.sender.wake)

    def jobs(self) -> dict[str, Job]:
        return {}

    async def prepare_turns(self) -> None:
        pass

    async def stop(self) -> None:
        self.hub.close()  # pages reconnect to the next start; their replies wait for it

    async def close(self) -> None:
        pass


def hub_of(request: Request) -> Hub:
    """The hub of the running web channel, from the lifespan state."""
    return cast(WebChannel, state.channel(request, CHANNEL)).hub


def routes(settings: Settings) -> list[Route]:
    return chat_routes(
        hub_of,
        secret=settings.resolved_secret_key(),
        public_url=settings.public_url,
        ttl_days=settings.conversation_ttl_days,
    )


def open_web(needs: ChannelNeeds) -> WebChannel:
    return WebChannel(needs.sessions, needs.secret, needs.sealer)
