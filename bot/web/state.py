"""What routes read from the app's lifespan state: the running parts the lifespan started.

Routes are made before the service starts (Starlette fixes them when the app is built); each
request carries a copy of the lifespan's state, and these accessors give its parts their types.
The keys are set by `bot/service/asgi.py`.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from starlette.requests import Request

from bot.content import Content
from bot.delivery.inbox import Intake

INTAKE = "intake"
CONTENT = "content"
DATABASE = "database"
SESSIONS = "sessions"
CHANNELS = "channels"
CONSOLE = "console"


def intake(request: Request) -> Intake:
    return cast(Intake, getattr(request.state, INTAKE))


def content(request: Request) -> Content:
    return cast(Content, getattr(request.state, CONTENT))


class HoldsDatabase(Protocol):
    db: AsyncEngine


def database(request: Request) -> AsyncEngine | None:
    """The service's database engine, read at each request from what holds it; None while the
    service has not started (a request during startup)."""
    holder = cast(HoldsDatabase | None, getattr(request.state, DATABASE, None))
    return None if holder is None else holder.db


def sessions(request: Request) -> async_sessionmaker[Any]:
    return cast(async_sessionmaker[Any], getattr(request.state, SESSIONS))


def channel(request: Request, name: str) -> object:
    """The running channel `name` (its package casts it to its own type)."""
    return cast(dict[str, object], getattr(request.state, CHANNELS))[name]
