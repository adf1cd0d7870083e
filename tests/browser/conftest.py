"""Fixtures for the browser tests: Debian's headless Chromium driven by Playwright, the real
server with two operators, and axe-core (from npm, pinned in package.json; `make test` installs
it with `npm ci` into node_modules here) to check what a page offers assistive technology."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from bot.operators.accounts import add_operator
from tests.conftest import make_settings
from tests.serving import Running, running

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
FLAGS = [  # a closed network: no background connections, no sandbox as root in CI
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ALWAYS_OPEN = {
    "HOTLINE_DAYS": "0,1,2,3,4,5,6",
    "HOTLINE_OPENS": "00:00",
    "HOTLINE_CLOSES": "24:00",
    "OPERATOR_BOOTSTRAP": "0",
}
PASSWORD = "correct horse battery staple"
PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
}
AXE_RESULTS = """async () => (await window.axe.run(document)).violations.map(v => ({
    id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(" "))
}))"""


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        await launched.close()


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Running]:
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", **ALWAYS_OPEN)
    async with running(settings) as run:
        async with run.services.sessions() as session, session.begin():
            await add_operator(session, "olga", "ru,uz,tg", PASSWORD)
            await add_operator(session, "ivan", "ru", PASSWORD)
        yield run


@pytest.fixture(scope="session")
def axe_script() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs axe-core with npm ci")
    return AXE.read_text(encoding="utf-8")


async def axe_violations(page: Page, script: str) -> list[str]:
    """What axe-core finds wrong on the page as it is now, one line per rule. The context
    must bypass the page's Content-Security-Policy, which forbids the injected script."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.add_script_tag(content=script)
    found: list[dict[str, Any]] = await page.evaluate(AXE_RESULTS)
    return [f"{v['id']} ({v['impact']}): {', '.join(v['nodes'])}" for v in found]


async def log_in(browser: Browser, url: str, name: str, **context: Any) -> Page:
    page = await (await browser.new_context(**context)).new_page()
    await page.goto(f"{url}/operator/login")
    await page.fill("input[name=name]", name)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator("#waiting")).to_be_attached()
    return page


def render(server: Running, lang: str, key: str) -> str:
    return server.services.content.engine.texts.render(lang, key)


async def bot_says(chat: Page, text: str) -> None:
    await expect(chat.locator(".msg-bot").last).to_contain_text(text, timeout=10_000)
