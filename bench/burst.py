"""Posting the intake burst: kept-alive HTTP/1.1 connections, one request at a time on each, as
Telegram posts to a webhook (up to max_connections at once).

The load generator shares the machine's two cores with the servers it measures. aiohttp's client
costs about as much CPU per post as PostgreSQL spends on an update; writing a prepared request
on a connection and reading the answer with httptools (the parser uvicorn itself uses) costs a
fraction of that (figures: bench/README.md), so the figures say more about the servers and less
about the load generator. The conversations phase, which is not about speed, keeps aiohttp.
"""

from __future__ import annotations

import asyncio
import time
from typing import cast
from urllib.parse import urlsplit

import httptools

from bench.users import SECRET_HEADER, TELEGRAM_PATH, WEBHOOK_SECRET, until_accepted

REQUEST_TIMEOUT = 30.0
"""Seconds one post may take (as the aiohttp session's timeout)."""


class Closed(ConnectionError):
    """The server closed the connection before answering."""


class _Connection(asyncio.Protocol):
    """One kept-alive connection: a request written, its status read when the answer is whole."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[int] | None = None
        self.open = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport, self.open = cast(asyncio.Transport, transport), True  # uvloop's own class

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(ConnectionError(f"a malformed answer: {error}"))
            self.close()

    def on_message_complete(self) -> None:
        status = self.parser.get_status_code()
        if not self.parser.should_keep_alive():
            self.close()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(status)

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        self._fail(Closed("the server closed the connection"))

    def _fail(self, error: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(error)

    def close(self) -> None:
        self.open = False
        if self.transport is not None:
            self.transport.close()

    async def request(self, data: bytes) -> int:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self.waiter


class BurstPoster:
    """Posts Telegram updates (JSON already encoded) to one server over one connection,
    reconnecting when the server closes it, retrying what was not accepted with a backoff."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.head = (
            f"POST {TELEGRAM_PATH} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"{SECRET_HEADER}: {WEBHOOK_SECRET}\r\nContent-Type: application/json\r\n"
            "Content-Length: "
        ).encode()
        self.connection: _Connection | None = None

    async def _connected(self) -> _Connection:
        if self.connection is None or not self.connection.open:
            loop = asyncio.get_running_loop()
            _, self.connection = await loop.create_connection(_Connection, self.host, self.port)
        return self.connection

    async def post(self, body: bytes) -> tuple[float | None, int]:
        """(latency of the accepted attempt or None, attempts that failed)."""
        data = self.head + str(len(body)).encode() + b"\r\n\r\n" + body

        async def attempt() -> float | None:
            began = time.monotonic()
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT):
                    connection = await self._connected()
                    status = await connection.request(data)
            except (OSError, TimeoutError):
                self.close()  # a new connection for the next attempt
                return None
            return time.monotonic() - began if status == 200 else None

        return await until_accepted(attempt)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
