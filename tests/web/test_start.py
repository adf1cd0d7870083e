"""The server's own address: a start page in the browser's language that leads to the chat and
the console, and the icon every page names."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import make_settings
from tests.serving import Running, running

ICON = '<link rel="icon" href="/favicon.ico" sizes="any">'


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Running]:
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    async with running(settings) as run:
        yield run


def said(served: Running, lang: str, key: str) -> str:
    text = served.services.content.engine.texts.render(lang, f"webchat.start.{key}")
    return html.escape(text)


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("ru-RU,ru;q=0.9,en;q=0.8", "ru"),
        ("uz-Latn-UZ,uz;q=0.9", "uz"),
        ("en-US,en;q=0.9,tg;q=0.5", "tg"),
        ("en-US,en;q=0.9", "ru"),  # none of ours: the hotline's first language
        (None, "ru"),
    ],
)
async def test_the_start_page_speaks_the_browsers_language(
    served: Running, header: str | None, lang: str
) -> None:
    response = await served.client.get("/", headers={"Accept-Language": header} if header else {})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert f'<html lang="{lang}">' in page
    for key in ("title", "intro", "chat", "console"):
        assert said(served, lang, key) in page, key
    assert f'href="/chat?lang={lang}"' in page and 'href="/operator"' in page
    assert ICON in page
    assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_the_start_page_offers_the_other_languages(served: Running) -> None:
    page = (await served.client.get("/?lang=tg", headers={"Accept-Language": "ru"})).text
    assert '<html lang="tg">' in page and said(served, "tg", "chat") in page
    assert 'href="/?lang=ru"' in page and 'href="/?lang=uz"' in page
    assert 'hreflang="uz" lang="uz"' in page


async def test_the_icon(served: Running) -> None:
    icon = await served.client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/vnd.microsoft.icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00" and len(icon.content) < 8000
    assert "max-age" in icon.headers["cache-control"]
    assert (await served.client.post("/favicon.ico")).status_code == 405


async def test_every_page_names_the_icon(served: Running) -> None:
    for path in ("/", "/chat", "/operator/login"):
        page = await served.client.get(path)
        assert page.status_code == 200 and ICON in page.text, path
