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


def body_timeout(request: Request) -> float:
    state = getattr(request.scope.get("app"), "state", None)
    return float(getattr(state, "body_timeout", BODY_TIMEOUT))


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The whole body, at most `limit` bytes (else BodyTooLarge), arrived within the app's body
    timeout (else BodyUnread 408); BodyUnread 400 when the client hangs up before the end."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:  # not "¹"
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    seconds = body_timeout(request)
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge
                chunks.append(chunk)
    except TimeoutError as error:
        raise BodyUnread(408, f"the body did not arrive within {seconds:g} s") from error
    except ClientDisconnect as error:
        raise BodyUnread(400, "the client hung up before the body ended") from error
    return b"".join(chunks)


async def unread_body(request: Request, error: Exception) -> Response:
    """The app's answer to BodyUnread: one log line, and the status, closing the connection
    (what is left of the body is not worth reading)."""
    assert isinstance(error, BodyUnread)
    log.info("%s %s: %s (%d)", request.method, request.url.path, error.reason, error.status)
    message = "Request Timeout" if error.status == 408 else "Bad Request"
    return PlainTextResponse(message, error.status, headers={"Connection": "close"})
