"""The console's live views as server-sent events: the queue, and one conversation's new lines.

Each stream reads the database again whenever the notifier says something may have changed,
and at least every `POLL` seconds anyway (another process may have changed it), and sends only
what changed. A stream ends when its login does (logout, expiry); when the server shuts down
sse-starlette ends it, so shutdown does not wait for open consoles.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sse_starlette import ServerSentEvent

from bot.operators.notify import Notifier

log = logging.getLogger(__name__)

POLL = 2.0
RETRY_MS = 2000
"""How soon a browser reconnects a dropped stream."""


def _event(name: str, data: Any, event_id: int | None = None) -> ServerSentEvent:
    return ServerSentEvent(
        data=json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        event=name,
        id=None if event_id is None else str(event_id),
        retry=RETRY_MS,
    )


async def queue_events(
    load: Callable[[], Awaitable[dict[str, Any] | None]], notifier: Notifier
) -> AsyncIterator[ServerSentEvent]:
    """The queue on connect and after every change; `load` gives None once the login ended.
    The server's clock goes along so the page can count waiting times without skew."""
    last: dict[str, Any] | None = None
    while True:
        try:
            current = await load()
        except Exception:  # the database away for a moment: the view just stays as it is
            log.warning("console: could not read the queue; trying again", exc_info=True)
            await notifier.wait(POLL)
            continue
        if current is None:
            yield _event("logout", {})
            return
        if current != last:
            yield _event("queue", {**current, "now": time.time()})
            last = current
        await notifier.wait(POLL)


@dataclass
class Update:
    """One look at a conversation: its state and the lines after the last one sent."""

    status: dict[str, Any]
    lines: list[dict[str, Any]]


async def conversation_events(
    load: Callable[[int], Awaitable[Update | None]], after: int, notifier: Notifier
) -> AsyncIterator[ServerSentEvent]:
    """The conversation's state whenever it changes, and its new lines as they come. Each lines
    event carries the last line's id, so a reconnecting browser (Last-Event-ID) gets the rest."""
    last_status: dict[str, Any] | None = None
    while True:
        try:
            update = await load(after)
        except Exception:  # the database away for a moment: the view just stays as it is
            log.warning("console: could not read a conversation; trying again", exc_info=True)
            await notifier.wait(POLL)
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
        await notifier.wait(POLL)
