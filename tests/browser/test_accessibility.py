"""Every page of the web chat and the operator console, in each state a person meets, checked by
axe-core in a real Chromium: nothing it finds is allowed. And the chat's text box on a 360-px
phone: its placeholder fits on one line in every language."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from bot import LANGUAGES
from tests.browser.conftest import PHONE, axe_violations, bot_says, log_in, render
from tests.serving import Running

pytestmark = pytest.mark.slow

BROKEN = """<!doctype html><html lang="en"><head><title>Broken</title></head><body><main>
<ol><li role="group"><button type="button">A</button></li></ol>
<table><tr><th>Name</th><th></th></tr><tr><td>x</td><td>y</td></tr></table>
</main></body></html>"""
FITS_ON_ONE_LINE = """() => {
    const box = document.getElementById("chat-input");
    const kept = box.value, height = box.style.height;
    box.style.height = "auto";
    box.value = "x";
    const one = box.scrollHeight;
    box.value = box.placeholder;
    const placeholder = box.scrollHeight;
    box.value = kept;
    box.style.height = height;
    return {one, placeholder, text: box.placeholder};
}"""


async def clean(page: Page, script: str, what: str) -> None:
    found = await axe_violations(page, script)
    assert not found, f"{what}: {found}"


async def placeholder_fits(page: Page, what: str) -> None:
    measured: dict[str, Any] = await page.evaluate(FITS_ON_ONE_LINE)
    assert measured["placeholder"] <= measured["one"], f"{what}: {measured}"


async def test_axe_finds_what_is_wrong(browser: Browser, axe_script: str) -> None:
    page = await (await browser.new_context()).new_page()
    await page.set_content(BROKEN)
    rules = {line.split(" ", 1)[0] for line in await axe_violations(page, axe_script)}
    assert {"list", "aria-allowed-role", "empty-table-header"} <= rules


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_start_page(
    browser: Browser, server: Running, axe_script: str, lang: str
) -> None:
    page = await (await browser.new_context(**PHONE, bypass_csp=True, locale=lang)).new_page()
    await page.goto(f"{server.url}/")
    await expect(page.locator("html")).to_have_attribute("lang", lang)
    await clean(page, axe_script, f"/ in {lang}")
    await page.get_by_role("link", name=render(server, lang, "webchat.start.chat")).click()
    await expect(page).to_have_url(f"{server.url}/chat?lang={lang}")


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_chat_in_every_state(
    browser: Browser, server: Running, axe_script: str, lang: str
) -> None:
    # a browser in none of our languages is offered the three
    context = await browser.new_context(**PHONE, bypass_csp=True, locale="en-US")
    chat = await context.new_page()
    await chat.goto(f"{server.url}/chat")
    name = render(server, lang, "common.language.name")
    await expect(chat.get_by_role("button", name=name)).to_be_visible(timeout=10_000)
    await placeholder_fits(chat, "the language screen")
    await clean(chat, axe_script, "the language screen")

    await chat.get_by_role("button", name=name).click()
    await bot_says(chat, render(server, lang, "common.menu.title").split("\n")[0][:20])
    await expect(chat.locator("html")).to_have_attribute("lang", lang)
    await placeholder_fits(chat, f"the menu in {lang}")
    await clean(chat, axe_script, f"the menu in {lang}")

    await chat.get_by_role("button", name=render(server, lang, "common.nav.operator")).click()
    await bot_says(chat, render(server, lang, "operator.queued").split("{")[0].strip()[:8])
    await clean(chat, axe_script, f"a handover in {lang}")

    # a message the server refuses stays on the page, to send again
    await chat.route("**/chat/send", lambda route: route.fulfill(status=400, body="{}"))
    await chat.fill("#chat-input", "?")
    await chat.click("#chat-send")
    await expect(chat.locator(".msg-failed")).to_have_count(1)
    await clean(chat, axe_script, f"a message not sent in {lang}")

    fresh = await (await browser.new_context(**PHONE)).new_page()
    await fresh.goto(f"{server.url}/chat?lang={lang}")
    await placeholder_fits(fresh, f"/chat?lang={lang}")


async def test_every_console_page(browser: Browser, server: Running, axe_script: str) -> None:
    context: dict[str, Any] = {"bypass_csp": True, "locale": "ru-RU"}
    login = await (await browser.new_context(**context)).new_page()
    await login.goto(f"{server.url}/operator/login")
    await clean(login, axe_script, "the login page")

    console = await log_in(browser, server.url, "olga", **context)
    await clean(console, axe_script, "an empty queue")

    chat = await (await browser.new_context(**PHONE)).new_page()
    await chat.goto(f"{server.url}/chat?lang=ru")
    await chat.get_by_role("button", name=render(server, "ru", "common.nav.operator")).click()
    row = console.locator("#waiting tr").first
    await expect(row).to_be_visible(timeout=10_000)
    await clean(console, axe_script, "a queue with a request")

    await row.locator("a").click()
    await expect(console.locator("#take-form")).to_be_visible()
    await clean(console, axe_script, "a waiting conversation")
    await console.click("#take-form button")
    await expect(console.locator("#reply-form")).to_be_visible()
    await console.fill("#reply-text", "Здравствуйте!")
    await console.click("#reply-form button[type=submit]")
    await expect(console.locator(".line.operator")).to_have_count(1, timeout=10_000)
    await clean(console, axe_script, "a taken conversation")

    await console.goto(f"{server.url}/operator")
    await expect(console.locator("#mine tr")).to_have_count(1)
    await clean(console, axe_script, "the queue with my conversation")
    await console.goto(f"{server.url}/operator/password")
    await clean(console, axe_script, "the password page")
