"""End to end in a real headless Chromium (Debian's, driven by Playwright): a migrant in the web
chat asks for an operator; an operator, already looking at the queue, sees the request appear
without reloading, takes it and replies; the migrant sees the reply; the operator closes it and
the bot answers again. In each language, on a phone-sized screen for the migrant."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import select

from bot.operators.tables import Handover, Operator
from bot.storage.pseudonym import pseudonym
from tests.browser.conftest import PHONE, bot_says, log_in, render
from tests.serving import Running

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("lang", ["ru", "uz", "tg"])
async def test_the_whole_handover_both_ways(browser: Browser, server: Running, lang: str) -> None:
    url = server.url
    console = await log_in(browser, url, "olga")
    await console.evaluate("window.notReloaded = true")

    chat = await (await browser.new_context(**PHONE)).new_page()
    await chat.goto(f"{url}/chat?lang={lang}")
    await bot_says(chat, render(server, lang, "common.menu.title").split("\n")[0][:20])
    await chat.get_by_role("button", name=render(server, lang, "common.nav.operator")).click()
    await bot_says(chat, render(server, lang, "operator.queued").split("{")[0].strip()[:8])

    # the request appears in the operator's queue without a reload
    row = console.locator("#waiting tr").first
    await expect(row).to_be_visible(timeout=10_000)
    assert await console.evaluate("window.notReloaded") is True
    tag = (await row.locator("a").inner_text()).strip()
    assert re.fullmatch(r"#[0-9A-F]{4}", tag)

    await row.locator("a").click()
    await console.click("#take-form button")
    await expect(console.locator("#reply-form")).to_be_visible()
    await bot_says(chat, render(server, lang, "operator.taken"))

    payload = "<script>window.pwned = 1</script><img src=x onerror='window.pwned=2'>"
    await chat.fill("#chat-input", payload)
    await chat.click("#chat-send")
    line = console.locator(".line.user .text").last
    await expect(line).to_have_text(payload, timeout=10_000)  # shown as text, live
    assert await console.evaluate("window.pwned") is None

    words = {"ru": "Здравствуйте! Чем помочь?", "uz": "Salom! Qanday yordam kerak?", "tg": "Салом!"}
    await console.fill("#reply-text", words[lang])
    await console.click("#reply-form button[type=submit]")
    # a person's words, marked as such in the user's language (a label, not only a colour)
    reply = chat.locator(".msg-operator").last
    await expect(reply).to_have_text(f"{render(server, lang, 'operator.signature')}:{words[lang]}")
    await expect(reply.locator(".msg-label")).to_be_visible()

    await console.select_option("#close-form select[name=outcome]", index=1)
    await console.click("#close-form button[type=submit]")
    await bot_says(chat, render(server, lang, "operator.closed"))

    menu_replies = await chat.locator(".msg-bot").count()
    await chat.fill("#chat-input", "1")
    await chat.click("#chat-send")
    await expect(chat.locator(".msg-bot")).to_have_count(menu_replies + 1, timeout=10_000)

    # the console never showed who it was: no cookie token, no pseudonym
    cookies = await chat.context.cookies()
    token = next(c["value"] for c in cookies if c["path"] == "/chat")
    conversation = pseudonym(server.services.settings.resolved_secret_key(), "web", token)
    conversation_page = await console.content()
    await console.goto(f"{url}/operator")
    for html in (conversation_page, await console.content()):
        assert token not in html and conversation not in html


async def test_an_operator_without_the_language_never_sees_it(
    browser: Browser, server: Running
) -> None:
    russian_only = await log_in(browser, server.url, "ivan")
    uzbek_too = await log_in(browser, server.url, "olga")
    chat = await (await browser.new_context(**PHONE)).new_page()
    await chat.goto(f"{server.url}/chat?lang=uz")
    await chat.get_by_role("button", name=render(server, "uz", "common.nav.operator")).click()
    await expect(uzbek_too.locator("#waiting tr")).to_have_count(1, timeout=10_000)
    await russian_only.wait_for_timeout(2500)  # longer than the streams' poll interval
    await expect(russian_only.locator("#waiting tr")).to_have_count(0)


async def test_a_queued_user_who_closes_the_tab_keeps_their_place(
    browser: Browser, server: Running
) -> None:
    context = await browser.new_context(**PHONE)  # type: ignore[arg-type]
    chat = await context.new_page()
    await chat.goto(f"{server.url}/chat?lang=ru")
    await bot_says(chat, render(server, "ru", "common.menu.title")[:20])
    await chat.get_by_role("button", name=render(server, "ru", "common.nav.operator")).click()
    await bot_says(chat, "1-й в очереди")
    await chat.fill("#chat-input", "потерял паспорт")
    await chat.click("#chat-send")
    await bot_says(chat, render(server, "ru", "operator.noted")[:20])
    menu = render(server, "ru", "common.nav.menu")
    await chat.fill("#chat-input", "в Москве")
    await chat.click("#chat-send")
    await expect(chat.locator(".msg-me").last).to_have_text("в Москве")
    await expect(chat.get_by_role("button", name=menu)).to_be_visible()  # the way out stays
    await chat.close()

    # the same browser (its cookie), a new tab (no stored conversation): as after hours away
    again = await context.new_page()
    await again.goto(f"{server.url}/chat?lang=ru")
    await bot_says(again, "1-й в очереди")
    await expect(again.locator(".msg-bot").last).to_contain_text(
        render(server, "ru", "operator.still_waiting")
    )
    mine = again.locator(".msg-me")
    await expect(mine).to_have_text(["потерял паспорт", "в Москве"])
    await expect(again.get_by_role("button", name=menu)).to_be_visible()

    await again.get_by_role("button", name=menu).click()  # only this withdraws it
    await bot_says(again, render(server, "ru", "operator.withdrawn"))


async def test_a_reply_written_while_the_tab_was_closed_is_shown_once(
    browser: Browser, server: Running
) -> None:
    """The reopened page is shown the transcript, and the reply also waited in the outbox for
    the closed one: the page shows it once."""
    services = server.services
    assert services.desk is not None
    context = await browser.new_context(**PHONE)  # type: ignore[arg-type]
    chat = await context.new_page()
    await chat.goto(f"{server.url}/chat?lang=ru")
    await chat.get_by_role("button", name=render(server, "ru", "common.nav.operator")).click()
    await bot_says(chat, "1-й в очереди")
    await chat.close()

    async with services.sessions() as session:
        olga = await session.scalar(select(Operator).where(Operator.name == "olga"))
        handover = await session.scalar(select(Handover))
    assert olga is not None and handover is not None
    await services.desk.take(olga, handover.id)
    await services.desk.reply(olga, handover.id, "В каком городе вы работаете?")

    again = await context.new_page()
    await again.goto(f"{server.url}/chat?lang=ru")
    await expect(again.locator(".msg-operator")).to_contain_text("В каком городе")
    await again.wait_for_timeout(1500)  # whatever else was coming has come
    await expect(again.locator(".msg-operator")).to_have_count(1)
