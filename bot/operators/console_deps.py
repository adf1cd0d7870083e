"""What the operator console uses of the running service, and nothing more. The console's
routes find it in the app's lifespan state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.requests import Request

from bot.content import Content
from bot.operators.desk import Desk
from bot.operators.notify import Notifier
from bot.web.state import CONSOLE


@dataclass(frozen=True)
class ConsoleDeps:
    sessions: async_sessionmaker[Any]
    desk: Desk
    """Every action on a conversation (take, reply, close, hand back, requeue)."""
    notifier: Notifier
    """Wakes the live views when something changed."""
    content: Content
    """Canned answers, outcome topics and the texts a conversation saw."""


def console_deps(request: Request) -> ConsoleDeps:
    return cast(ConsoleDeps, getattr(request.state, CONSOLE))
