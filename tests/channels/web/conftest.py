"""Fixtures for the web chat: the real server, and visitors that behave as a browser page does:
a cookie jar of their own, the page token read from the page, and the event stream read line by
line as EventSource reads it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.delivery.tables import InboxItem, OutboxItem
from bot.settings import Settings
from tests.conftest import make_settings
from tests.serving import Running, running

TOKEN = re.compile(r'<meta name="chat-token" content="([^"]+)">')


@dataclass
class Events:
    """An open /chat/events stream; its pieces are read in the background."""

    response: httpx.Response
    pieces: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    broken: bool = False
    """The connection was cut instead of the response ending properly."""
    ids: list[str] = field(default_factory=list)
    """The event ids of the pieces read, in order."""

    async def read(self) -> None:
        data: list[str] = []
        event_id = ""
        try:
            async for line in self.response.aiter_lines():
                if line.startswith("retry:"):
                    self.opened.set()  # the server's first event: the stream is registered
                elif line.startswith("data:"):
                    data.append(line[5:].removeprefix(" "))
                elif line.startswith("id:"):
                    event_id = line[3:].removeprefix(" ")
                elif line == "" and data:
                    self.ids.append(event_id)
                    self.pieces.put_nowait(json.loads("\n".join(data)))
                    data, event_id = [], ""
        except (httpx.ReadError, httpx.RemoteProtocolError):
            self.broken = True  # as a browser, we would reconnect
        finally:
            self.ended.set()

    async def next(self, timeout: float = 10) -> dict[str, Any]:
        return await asyncio.wait_for(self.pieces.get(), timeout)

    async def quiet(self, seconds: float) -> bool:
        """Nothing more arrives within `seconds`."""
        try:
            await asyncio.wait_for(self.pieces.get(), seconds)
        except TimeoutError:
            return True
        return False


class Visitor:
    """One browser: its own cookies, the token of the page it loaded."""

    def __init__(self, url: str, local_address: str | None = None) -> None:
        """`local_address`: the loopback address to connect from (127.0.0.1 by default), for a
        browser on another machine, as the server's per-address limits see it."""
        self.url = url
        transport = httpx.AsyncHTTPTransport(local_address=local_address or "127.0.0.1")
        self.client = httpx.AsyncClient(base_url=url, timeout=10, transport=transport)
        self.token = ""

    @property
    def secret(self) -> str:
        """The visitor cookie: the id and address the server must never reveal."""
        return self.client.cookies.get("webchat") or ""

    async def open(self, path: str = "/chat", **headers: str) -> httpx.Response:
        page = await self.client.get(path, headers=headers)
        found = TOKEN.search(page.text)
        self.token = found.group(1) if found else ""
        return page

    async def post(
        self, path: str, body: Any, *, token: str | None = None, **headers: str
    ) -> httpx.Response:
        sent = {"X-Chat-Token": self.token if token is None else token, **headers}
        if token == "":
            del sent["X-Chat-Token"]
        if isinstance(body, bytes):
            return await self.client.post(path, content=body, headers=sent)
        return await self.client.post(path, json=body, headers=sent)

    async def send(
        self, text: str | None = None, choice: str | None = None, *, id: str | None = None
    ) -> httpx.Response:
        body: dict[str, Any] = {"id": id or str(uuid.uuid4())}
        if text is not None:
            body["text"] = text
        if choice is not None:
            body["choice"] = choice
        return await self.post("/chat/send", body)

    async def start(self, query: str = "", hint: str | None = None) -> httpx.Response:
        body: dict[str, Any] = {"id": str(uuid.uuid4())}
        if hint is not None:
            body["hint"] = hint
        return await self.post(f"/chat/start{query}", body)

    @contextlib.asynccontextmanager
    async def events(self, last_event_id: str | None = None) -> AsyncIterator[Events]:
        """The reply stream, once the server has registered it; with `last_event_id`, as
        EventSource reconnects."""
        headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
        async with self.client.stream("GET", "/chat/events", headers=headers) as response:
            assert response.status_code == 200, response.status_code
            events = Events(response)
            reader = asyncio.create_task(events.read())
            try:
                await asyncio.wait_for(events.opened.wait(), 10)
                yield events
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader

    async def close(self) -> None:
        await self.client.aclose()


def web_settings(tmp_path: Path, database_url: str, **env: str) -> Settings:
    return make_settings(tmp_path, database_url, **env)


async def count(run: Running, table: type[InboxItem] | type[OutboxItem]) -> int:
    async with run.services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


@pytest.fixture
async def served(tmp_path: Path, database_url: str) -> AsyncIterator[Running]:
    async with running(web_settings(tmp_path, database_url)) as run:
        yield run


@pytest.fixture
async def visitor(served: Running) -> AsyncIterator[Visitor]:
    browser = Visitor(served.url)
    page = await browser.open()
    assert page.status_code == 200 and browser.token
    try:
        yield browser
    finally:
        await browser.close()
