"""Reading request bodies: with a size limit, so a huge body is refused before it is held, and
with a deadline, so a client that sends its body slowly (or never finishes it) does not hold a
request open. Every route reads its body here; what cannot be read is answered by the app's
handlers below, quietly: one log line, never a traceback (a hang-up is the client's doing)."""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
BODY_TIMEOUT = 10.0
"""Seconds, unless the app's state says otherwise (`create_app` puts BODY_TIMEOUT_SECONDS)."""


class BodyTooLarge(Exception):
    pass


class BodyUnread(Exception):
    """The body did not arrive whole: `status` 408 when too slow, 400 when the client left."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class BodyDeadlines:
    """The deadlines of the bodies being read, enforced by one sweep a tick instead of a timer
    per request: a webhook's body has almost always arrived with its headers, and a timer armed
    and cancelled for each of them cost more CPU than the rest of reading it.

    A read past its deadline is cancelled by the sweep (a `Task.cancel` marked as ours, so
    `read_body` can tell it from any other cancellation and take it back with `uncancel`). A
    deadline therefore fires between `seconds` and `seconds + tick` after the read began. The
    sweep runs only while reads are under way, on the loop that reads."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.tick = min(1.0, max(seconds / 4, 0.01))
        self.reading: dict[asyncio.Task[object], float] = {}
        self.expired: set[asyncio.Task[object]] = set()
        self.sweeper: asyncio.Task[None] | None = None

    def begin(self, task: asyncio.Task[object]) -> None:
        loop = asyncio.get_running_loop()
        self.reading[task] = loop.time() + self.seconds
        if self.sweeper is None or self.sweeper.done() or self.sweeper.get_loop() is not loop:
            self.sweeper = loop.create_task(self.sweep())

    def end(self, task: asyncio.Task[object]) -> bool:
        """Stop watching `task`; True when the sweep had cancelled it (the caller uncancels)."""
        self.reading.pop(task, None)
        if task in self.expired:
            self.expired.discard(task)
            return True
        return False

    async def sweep(self) -> None:
        loop = asyncio.get_running_loop()
        while self.reading:
            await asyncio.sleep(self.tick)
            now = loop.time()
            late = [task for task, deadline in self.reading.items() if deadline <= now]
            for task in late:
                del self.reading[task]
                self.expired.add(task)
                task.cancel()


def body_deadlines(request: Request) -> BodyDeadlines:
    """The app's deadlines (made on first use), or a private one for a request without an app."""
    state = getattr(request.scope.get("app"), "state", None)
    deadlines = getattr(state, "body_deadlines", None)
    if isinstance(deadlines, BodyDeadlines):
        return deadlines
    deadlines = BodyDeadlines(float(getattr(state, "body_timeout", BODY_TIMEOUT)))
    if state is not None:
        state.body_deadlines = deadlines
    return deadlines


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The whole body, at most `limit` bytes (else BodyTooLarge), arrived within the app's body
    timeout (else BodyUnread 408); BodyUnread 400 when the client hangs up before the end."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:  # not "¹"
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    deadlines = body_deadlines(request)
    task = asyncio.current_task()
    assert task is not None  # a request is always served by a task
    deadlines.begin(task)
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            chunks.append(chunk)
    except asyncio.CancelledError as error:
        if deadlines.end(task) and task.uncancel() == 0:
            reason = f"the body did not arrive within {deadlines.seconds:g} s"
            raise BodyUnread(408, reason) from error
        raise
    except ClientDisconnect as error:
        raise BodyUnread(400, "the client hung up before the body ended") from error
    finally:
        if deadlines.end(task):  # cancelled as the body ended: take the cancellation back
            task.uncancel()
    return b"".join(chunks)


async def unread_body(request: Request, error: Exception) -> Response:
    """The app's answer to BodyUnread: one log line, and the status, closing the connection
    (what is left of the body is not worth reading)."""
    assert isinstance(error, BodyUnread)
    log.info("%s %s: %s (%d)", request.method, request.url.path, error.reason, error.status)
    message = "Request Timeout" if error.status == 408 else "Bad Request"
    return PlainTextResponse(message, error.status, headers={"Connection": "close"})
