"""What a channel is to the rest of the bot, and what the assembly gives it.

A channel is a package under `bot/channels/` that declares one `ChannelPlugin` and is listed in
`registry.py`. The plug-in decides from the settings alone whether the channel is on and which
routes it answers (routes exist before the service starts; their endpoints read the running
parts from the lifespan state, see `bot/web/state.py`); `open` then builds the running
`Channel` from what every channel may use (`ChannelNeeds`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.routing import Route

from bot.content import Content
from bot.delivery.inbox import Intake
from bot.delivery.sender import OutboxSender
from bot.delivery.turns import Acknowledge, Shaper
from bot.settings import Settings
from bot.storage.sealed import Sealer

Job = Coroutine[Any, Any, None]


@dataclass(frozen=True)
class ChannelNeeds:
    """What the assembly gives every channel it opens."""

    settings: Settings
    sessions: async_sessionmaker[Any]
    secret: bytes
    sealer: Sealer
    intake: Intake
    content: Content
    elected: Callable[[str], asyncio.Event]
    """An event set while this process leads `job` among the processes sharing the database
    (for work that must run once per bot: sending at a platform's pace, long polling)."""


class Channel(Protocol):
    """A running channel. Its outbox sender, acknowledgement and shaping are None when it has
    none; `jobs` run only in a process that serves (not in a `work` process)."""

    name: str
    sender: OutboxSender | None
    """Sends the outbox rows of this channel through its transport."""
    acknowledge: Acknowledge | None
    """Tells the platform an update was handled (a button press's spinner stops)."""
    shaper: Shaper | None
    """Wraps the engine's step with what this channel adds to a turn."""

    def jobs(self) -> dict[str, Job]:
        """The channel's own long-running work (registration, polling), by name."""
        ...

    async def prepare_turns(self) -> None:
        """Make `acknowledge` usable in a process that only works the inbox."""
        ...

    async def stop(self) -> None:
        """Take no more updates (the senders still finish)."""
        ...

    async def close(self) -> None:
        """Release the platform's clients."""
        ...


@dataclass(frozen=True)
class ChannelPlugin:
    name: str
    configured: Callable[[Settings], bool]
    """Whether the settings turn the channel on (may log why a half-configured one stays off)."""
    routes: Callable[[Settings], list[Route]]
    open: Callable[[ChannelNeeds], Channel]
