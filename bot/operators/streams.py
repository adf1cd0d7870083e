"""The console's live views as server-sent events: the queue, and one conversation's new lines.

Each stream reads the database again whenever the notifier says something may have changed,
and at least every `POLL` seconds anyway (another process may have changed it), and sends only
what changed. A stream ends when its login does (logout, expiry); when the server shuts down
sse-starlette sets the stream's `stop` event and the generator returns, so the response ends
properly and shutdown does not wait for open consoles.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
from sse_starlette import ServerSentEvent

from bot.operators.notify import Notifier

log = logging.getLogger(__name__)

POLL = 2.0
SHUTDOWN_GRACE = 1.0
"""Seconds a stream has to end by itself once the server is stopping."""
RETRY_MS = 2000
"""How soon a browser reconnects a dropped stream."""


def _event(name: str, data: Any, event_id: int | None = None) -> ServerSentEvent:
    return ServerSentEvent(
        data=json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        event=name,
        id=None if event_id is None else str(event_id),
        retry=RETRY_MS,
    )


async def _pause(notifier: Notifier, stop: anyio.Event) -> bool:
    """Until something may have changed or POLL seconds; False once the server is stopping."""
    if stop.is_set():
        return False
    stopping = asyncio.ensure_future(stop.wait())
    changed = asyncio.ensure_future(notifier.wait(POLL))
    try:
        await asyncio.wait({stopping, changed}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        changed.cancel()
    return not stop.is_set()


async def queue_events(
    load: Callable[[], Awaitable[dict[str, Any] | None]],
    notifier: Notifier,
    stop: anyio.Event | None = None,
) -> AsyncIterator[ServerSentEvent]:
    """The queue on connect and after every change; `load` gives None once the login ended.
    The server's clock goes along so the page can count waiting times without skew."""
    stop = stop or anyio.Event()
    last: dict[str, Any] | None = None
    while not stop.is_set():
        try:
            current = await load()
        except Exception:  # the database away for a moment: the view just stays as it is
            log.warning("console: could not read the queue; trying again", exc_info=True)
            await _pause(notifier, stop)
            continue
        if current is None:
            yield _event("logout", {})
            return
        if current != last:
            yield _event("queue", {**current, "now": time.time()})
            last = current
        await _pause(notifier, stop)


@dataclass
class Update:
    """One look at a conversation: its state and the lines after the last one sent."""

    status: dict[str, Any]
    lines: list[dict[str, Any]]


async def conversation_events(
    load: Callable[[int], Awaitable[Update | None]],
    after: int,
    notifier: Notifier,
    stop: anyio.Event | None = None,
) -> AsyncIterator[ServerSentEvent]:
    """The conversation's state whenever it changes, and its new lines as they come. Each lines
    event carries the last line's id, so a reconnecting browser (Last-Event-ID) gets the rest."""
    stop = stop or anyio.Event()
    last_status: dict[str, Any] | None = None
    while not stop.is_set():
        try:
            update = await load(after)
        except Exception:  # the database away for a moment: the view just stays as it is
            log.warning("console: could not read a conversation; trying again", exc_info=True)
            await _pause(notifier, stop)
            continue
        if update is None:
            yield _event("logout", {})
            return
        if update.status != last_status:
            yield _event("status", update.status)
            last_status = update.status
        if update.lines:
            after = int(update.lines[-1]["id"])
            yield _event("lines", update.lines, after)
        await _pause(notifier, stop)
