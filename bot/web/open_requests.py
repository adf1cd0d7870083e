"""A bound on the requests one client address may have waiting for an answer at once.

A request counts from its arrival until its response starts: a body trickling in, a slow
handler. Streams (server-sent events) start their response at once and so stop counting, which
leaves room for many people behind one address (a hostel's NAT). Past the bound the address
gets 429 at once, without the app reading anything, while other addresses are served as usual.
The address is the one uvicorn gives, after FORWARDED_ALLOW_IPS (`bot/web/server.py`). The
count is per process."""

from __future__ import annotations

import logging
from collections import Counter

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)


class OpenRequestBound:
    """ASGI middleware: at most `limit` unanswered requests per client address (0: no bound)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.open: Counter[str] = Counter()
        self.refusing: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limit <= 0:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = str(client[0]) if client else ""
        if self.open[address] >= self.limit:
            if address not in self.refusing:  # one line per episode, not per refusal
                self.refusing.add(address)
                log.warning(
                    "an address has %d requests open; more from it get 429 until they end",
                    self.limit,
                )
            headers = {"Retry-After": "1", "Connection": "close"}
            await PlainTextResponse("Too Many Requests", 429, headers=headers)(scope, receive, send)
            return
        self.open[address] += 1
        counted = True

        def release() -> None:
            nonlocal counted
            if counted:
                counted = False
                self.open[address] -= 1
                if self.open[address] <= 0:
                    del self.open[address]
                    self.refusing.discard(address)

        async def answering(message: Message) -> None:
            if message["type"] == "http.response.start":
                release()
            await send(message)

        try:
            await self.app(scope, receive, answering)
        finally:
            release()
