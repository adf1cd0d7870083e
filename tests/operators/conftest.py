"""Fixtures for the operator console: the real server talking to the fake Telegram Bot API,
operators in its database, an operator's browser (cookies kept by hand), users asking for a
human through the webhook, and a reader of server-sent events."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.operators import accounts
from bot.operators.tables import Handover, Operator
from bot.service.core import Core as App
from bot.settings import Settings
from tests.channels.telegram.conftest import Served, serve, telegram_settings
from tests.fakes import updates
from tests.fakes.telegram_api import FakeTelegram

PASSWORD = "correct horse battery"
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def console_settings(tmp_path: Path, database_url: str, fake: FakeTelegram, **env: str) -> Settings:
    return telegram_settings(tmp_path, database_url, fake, **{"OPERATOR_BOOTSTRAP": "0", **env})


@pytest.fixture
async def served(
    tmp_path: Path, database_url: str, fake_telegram: FakeTelegram
) -> AsyncIterator[Served]:
    async with serve(console_settings(tmp_path, database_url, fake_telegram), fake_telegram) as s:
        yield s


async def add_operator(
    served: Served, name: str, langs: str, password: str = PASSWORD, *, must_change: bool = False
) -> Operator:
    async with served.services.sessions() as session, session.begin():
        return await accounts.add_operator(
            session, name, langs, password, must_change_password=must_change
        )


async def new_operator(app: App, name: str = "olga", langs: str = "ru") -> Operator:
    """An operator in an app's database (no server)."""
    async with app.service.sessions() as session, session.begin():
        return await accounts.add_operator(session, name, langs, PASSWORD, now=NOW)


@dataclass
class Browser:
    """One operator's browser. Cookies are kept here rather than in httpx's jar: the console's
    cookies are Secure (PUBLIC_URL is https) and the test server is plain http."""

    client: httpx.AsyncClient
    cookies: dict[str, str] = field(default_factory=dict)
    set_cookies: list[str] = field(default_factory=list)
    csrf: str = ""

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        jar = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return {**({"Cookie": jar} if jar else {}), **(extra or {})}

    def remember(self, response: httpx.Response) -> httpx.Response:
        self.client.cookies.clear()
        for header in response.headers.get_list("set-cookie"):
            self.set_cookies.append(header)
            cookie: SimpleCookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or not morsel.value.strip('"'):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        found = CSRF_FIELD.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.remember(await self.client.get(path, headers=self.headers(headers)))

    async def post(
        self,
        path: str,
        data: dict[str, str] | None = None,
        *,
        csrf: bool = True,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        form = {**({"csrf": self.csrf} if csrf else {}), **(data or {})}
        response = await self.client.post(path, data=form, headers=self.headers(headers))
        return self.remember(response)

    async def log_in(self, name: str, password: str = PASSWORD) -> httpx.Response:
        await self.get("/operator/login")
        return await self.post("/operator/login", {"name": name, "password": password})

    async def open(self, path: str = "/operator") -> httpx.Response:
        """A page, which also brings the session's current CSRF token."""
        response = await self.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:200])
        return response


@pytest.fixture
def browser(served: Served) -> Browser:
    return Browser(served.client)


async def operator_browser(served: Served, name: str, langs: str) -> Browser:
    """A logged-in browser of a new operator."""
    await add_operator(served, name, langs)
    browser = Browser(served.client)
    assert (await browser.log_in(name)).status_code == 303
    await browser.open()
    return browser


async def ask_operator(
    served: Served, chat: int, lang: str, first_update: int, text: str = "оператор"
) -> Handover:
    """A Telegram user who starts the bot in `lang` and asks for a human: their handover."""
    start = updates.load(
        "start_payload", chat_id=chat, update_id=first_update, text=f"/start {lang}"
    )
    assert (await served.post_update(start)).status_code == 200
    ask = updates.text_update(first_update + 1, chat, text, language_code=lang)
    assert (await served.post_update(ask)).status_code == 200
    assert await served.settled()
    async with served.services.sessions() as session:
        rows = await session.scalars(select(Handover).order_by(Handover.id.desc()))
        for row in rows:
            if row.status != "closed" and row.lang == lang:
                found: Handover = row
                return found
    raise AssertionError(f"no handover for chat {chat}")


async def user_says(served: Served, chat: int, update_id: int, text: str) -> None:
    assert (await served.post_update(updates.text_update(update_id, chat, text))).status_code == 200
    assert await served.settled()


@dataclass
class Event:
    name: str
    data: Any
    id: str | None


async def events(response: httpx.Response) -> AsyncIterator[Event]:
    """Server-sent events of a streamed response, pings skipped."""
    name, data, event_id = "message", "", None
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield Event(name, json.loads(data), event_id)
            name, data, event_id = "message", "", None
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()
        elif line.startswith("id:"):
            event_id = line[3:].strip()


async def next_event(stream: AsyncIterator[Event], name: str, timeout: float = 10) -> Event:
    """The next event called `name` (others are skipped)."""

    async def find() -> Event:
        async for event in stream:
            if event.name == name:
                return event
        raise AssertionError("the stream ended")

    return await asyncio.wait_for(find(), timeout)


@contextlib.asynccontextmanager
async def stream(
    served: Served, browser: Browser, path: str, headers: dict[str, str] | None = None
) -> AsyncIterator[AsyncIterator[Event]]:
    """An open event stream on its own connection, closed when the block ends."""
    async with (
        httpx.AsyncClient(base_url=served.url, timeout=10) as client,
        client.stream("GET", path, headers=browser.headers(headers)) as response,
    ):
        assert response.status_code == 200, response.status_code
        assert response.headers["content-type"].startswith("text/event-stream")
        yield events(response)
