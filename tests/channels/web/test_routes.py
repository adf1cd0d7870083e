"""The web chat through the real server: the page, a conversation over the event stream, and
everything a POST is refused for."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot import LANGUAGES
from bot.channels.web import backlog
from bot.channels.web.limits import NEWCOMER_BURST
from bot.delivery.tables import InboxItem, OutboxItem
from bot.operators.tables import Handover
from tests.channels.web.conftest import Events, Visitor, count, web_settings
from tests.handover.test_channels import add_operator, only_handover
from tests.serving import Running, running

NEWCOMERS = int(NEWCOMER_BURST)
GOLDEN = Path(__file__).resolve().parents[2] / "golden"


def golden(lang: str, topic: str) -> tuple[list[str], list[dict[str, Any]]]:
    lines = (GOLDEN / lang / f"{topic}.jsonl").read_text().splitlines()
    return json.loads(lines[0])["typed"], [json.loads(line) for line in lines[1:]]


def option_id(piece: dict[str, Any], label: str) -> str:
    return next(o["id"] for o in piece["options"] if o["label"] == label)


async def test_the_page_sets_a_private_cookie_and_embeds_its_token(served: Running) -> None:
    browser = Visitor(served.url)
    try:
        page = await browser.open("/chat", **{"Accept-Language": "uz-UZ,uz;q=0.9,ru;q=0.8"})
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-store"
        assert "script-src 'self'" in page.headers["content-security-policy"]
        cookie = page.headers["set-cookie"]
        for attribute in ("HttpOnly", "SameSite=strict", "Path=/chat", "Max-Age=2592000"):
            assert attribute.lower() in cookie.lower()
        assert "secure" not in cookie.lower()  # plain http and no https PUBLIC_URL
        assert len(browser.secret) == 43 and browser.token
        assert browser.secret not in page.text
        assert '<html lang="uz">' in page.text and "Yuborish" in page.text
        again = await browser.open("/chat?lang=tg")
        assert '<html lang="tg">' in again.text and "Фиристодан" in again.text
        assert browser.token in again.text  # the same visitor keeps the same token
    finally:
        await browser.close()


async def test_start_then_buttons_walk_a_topic_in_every_language(served: Running) -> None:
    for lang in LANGUAGES:
        typed, screens = golden(lang, "health")
        browser = Visitor(served.url)
        try:
            await browser.open(f"/chat?lang={lang}")
            async with browser.events() as events:
                assert (await browser.start(f"?lang={lang}")).status_code == 202
                piece = await events.next()
                assert piece["text"].endswith(screens[0]["text"])
                for step, number in enumerate(typed):
                    screen = screens[step]
                    label = screen["options"][screen["numbers"].index(int(number))]
                    answer = await browser.send(choice=option_id(piece, label))
                    assert answer.status_code == 202
                    piece = await events.next()
                    assert piece["text"] == screens[step + 1]["text"], (lang, step)
                    assert [o["label"] for o in piece["options"]] == screens[step + 1]["options"]
        finally:
            await browser.close()


async def test_the_browser_language_preselects_and_offers_the_others(
    served: Running, visitor: Visitor
) -> None:
    async with visitor.events() as events:
        assert (await visitor.start(hint="tg-TJ")).status_code == 202
        piece = await events.next()
    ids = [o["id"] for o in piece["options"]]
    assert "lang:ru" in ids and "lang:uz" in ids and "lang:tg" not in ids


async def test_typed_text_and_unknown_buttons_are_answered(
    served: Running, visitor: Visitor
) -> None:
    async with visitor.events() as events:
        await visitor.start("?lang=ru")
        await events.next()
        assert (await visitor.send(text="патент")).status_code == 202
        piece = await events.next()
        assert piece["text"] and isinstance(piece["options"], list)
        # anyone can post any option id: one that is no button is answered, not a failure
        assert (await visitor.send(choice="menu.nowhere:99")).status_code == 202
        assert (await events.next())["text"]


async def test_a_retried_post_is_processed_once(served: Running, visitor: Visitor) -> None:
    async with visitor.events() as events:
        await visitor.start("?lang=ru")
        await events.next()
        same = str(uuid.uuid4())
        first = await visitor.send(text="меню", id=same)
        second = await visitor.send(text="меню", id=same)
        assert (first.status_code, second.status_code) == (202, 202)
        assert first.json()["new"] is True and second.json()["new"] is False
        await events.next()
        assert await events.quiet(1.5)
    assert await count(served, InboxItem) == 2  # the start and one message


async def test_refused_posts_store_nothing(served: Running, visitor: Visitor) -> None:
    other = Visitor(served.url)
    try:
        await other.open()
        body = {"id": str(uuid.uuid4()), "text": "привет"}
        refused = [
            await visitor.post("/chat/send", body, token=""),
            await visitor.post("/chat/send", body, token="x" * 43),
            await visitor.post("/chat/send", body, token=other.token),
            await visitor.post("/chat/send", body, Origin="https://evil.example"),
            await visitor.post("/chat/start", body, Origin="null"),
            await visitor.post("/chat/start", body, token=""),
        ]
        assert [r.status_code for r in refused] == [403] * len(refused)
        cookieless = Visitor(served.url)
        cookieless.token = visitor.token
        try:
            assert (await cookieless.post("/chat/send", body)).status_code == 403
            assert (await cookieless.client.get("/chat/events")).status_code == 403
        finally:
            await cookieless.close()
        own = await visitor.post("/chat/send", body, Origin=served.url)
        assert own.status_code == 202  # our own origin is fine
    finally:
        await other.close()
    assert await count(served, InboxItem) == 1


async def test_malformed_and_oversized_bodies(served: Running, visitor: Visitor) -> None:
    good = str(uuid.uuid4())
    cases: list[tuple[Any, int]] = [
        (b"{not json", 400),
        (b"\xff\xfe\x00garbage", 400),
        (b"[" * 8000 + b"]" * 8000, 400),
        ([1, 2], 400),
        ({"text": "no id"}, 400),
        ({"id": "not-a-uuid", "text": "x"}, 400),
        ({"id": good}, 400),
        ({"id": good, "text": "x", "choice": "y"}, 400),
        ({"id": good, "text": "   "}, 400),
        ({"id": good, "text": 5}, 400),
        ({"id": good, "choice": "кнопка"}, 400),
        ({"id": good, "text": "x" * 5000}, 400),
        (json.dumps({"id": good, "text": "x" * 17_000}).encode(), 413),
    ]
    for body, status in cases:
        answer = await visitor.post("/chat/send", body)
        assert answer.status_code == status, (body if len(str(body)) < 80 else "long", answer)
        await asyncio.sleep(0.21)  # stay under the rate limit
    assert await count(served, InboxItem) == 0


async def test_too_many_messages_a_second_are_refused(served: Running, visitor: Visitor) -> None:
    answers = [(await visitor.send(text=f"сообщение {i}")).status_code for i in range(12)]
    assert answers.count(429) >= 5 and answers[:5] == [202] * 5


async def test_a_campaign_source_is_kept_and_a_number_is_not(
    served: Running, visitor: Visitor
) -> None:
    other = Visitor(served.url)
    try:
        await other.open()
        async with visitor.events() as first, other.events() as second:
            assert (await visitor.start("?src=metro&lang=uz")).status_code == 202
            assert (await other.start("?src=79161234567")).status_code == 202
            await first.next()
            await second.next()
        stored = " ".join(await served.dump(("conversations",)))
        assert "metro" in stored and "79161234567" not in stored
    finally:
        await other.close()


async def test_the_script_and_style_sheet_are_served(served: Running) -> None:
    script = await served.client.get("/chat/static/chat.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    # nothing anyone types or the bot says is ever parsed as HTML
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script.text
    assert "textContent" in script.text
    style = await served.client.get("/chat/static/chat.css")
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    assert (await served.client.get("/chat/static/routes.py")).status_code == 404
    page = await served.client.get("/chat")
    assert "/chat/static/chat.js?v=" in page.text and "/chat/static/chat.css?v=" in page.text


async def test_one_visitor_may_hold_only_a_few_streams(served: Running, visitor: Visitor) -> None:
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(5):
            await stack.enter_async_context(visitor.events())
        assert (await visitor.client.get("/chat/events")).status_code == 429
    async with visitor.events():
        pass  # closed streams free their places


async def test_the_server_stops_promptly_with_a_stream_open(
    tmp_path: Path, database_url: str
) -> None:
    loop = asyncio.get_running_loop()
    async with contextlib.AsyncExitStack() as stack:
        async with running(web_settings(tmp_path, database_url)) as run:
            browser = Visitor(run.url)
            stack.push_async_callback(browser.close)
            await browser.open()
            events = await stack.enter_async_context(browser.events())
            stopping = loop.time()
        assert loop.time() - stopping < 5
        await asyncio.wait_for(events.ended.wait(), 2)
        assert not events.broken  # the stream ended as a response, not cut off


async def test_the_cookie_is_secure_behind_an_https_public_url(
    tmp_path: Path, database_url: str
) -> None:
    settings = web_settings(tmp_path, database_url, PUBLIC_URL="https://help.example.org")
    async with running(settings) as run:
        page = await run.client.get("/chat")
        assert "secure" in page.headers["set-cookie"].lower()
        # a proxy in front: the request arrives on loopback, the browser's Origin is public
        visitor = page.headers["set-cookie"].split(";", 1)[0]
        token = re.search(r'name="chat-token" content="([^"]+)"', page.text)
        assert token is not None
        headers = {"Cookie": visitor, "X-Chat-Token": token.group(1)}
        body = {"id": str(uuid.uuid4()), "text": "меню"}
        public = await run.client.post(
            "/chat/send", json=body, headers={**headers, "Origin": "https://help.example.org"}
        )
        assert public.status_code == 202
        foreign = await run.client.post(
            "/chat/send", json=body, headers={**headers, "Origin": "https://evil.example"}
        )
        assert foreign.status_code == 403


ALWAYS_OPEN = {"HOTLINE_DAYS": "0,1,2,3,4,5,6", "HOTLINE_OPENS": "00:00", "HOTLINE_CLOSES": "24:00"}


@contextlib.asynccontextmanager
async def queued_for_an_operator(
    browser: Visitor,
) -> AsyncIterator[tuple[Events, dict[str, Any]]]:
    """A visitor opens the chat in Russian and asks for an operator, with the page's reply
    stream open: the stream and the queue's answer; leaving the block closes the tab."""
    await browser.open("/chat?lang=ru")
    async with browser.events() as events:
        await browser.start("?lang=ru")
        await events.next()
        await browser.send(choice="nav:operator")
        yield events, await events.next()


async def test_a_page_reopened_later_shows_the_user_still_waiting_and_their_place(
    tmp_path: Path, database_url: str
) -> None:
    settings = web_settings(tmp_path, database_url, **ALWAYS_OPEN)
    async with running(settings) as served:
        browser = Visitor(served.url)
        try:
            async with queued_for_an_operator(browser) as (events, queued):
                assert "1-й в очереди" in queued["text"]
                await browser.send(text="потерял паспорт")
                await events.next()  # told once that it reaches the operator
            # the tab is closed; reopened later (past the replay buffer), without the page's
            # stored conversation: the page starts again with the same cookie
            await browser.open("/chat?lang=ru")
            async with browser.events() as events:
                assert (await browser.start("?lang=ru")).status_code == 202
                mine = await events.next()
                waiting = await events.next()
        finally:
            await browser.close()
        assert (mine["from"], mine["text"]) == ("user", "потерял паспорт")
        assert "запрос оператору в силе" in waiting["text"]
        assert "1-й в очереди" in waiting["text"] and "Выберите тему" not in waiting["text"]
        assert "nav:menu" in [o["id"] for o in waiting["options"]]
        async with served.services.sessions() as session:
            statuses = (await session.scalars(select(Handover.status))).all()
        assert statuses == ["queued"]


async def test_an_operator_reply_that_waited_for_a_closed_page_is_one_transcript_line(
    tmp_path: Path, database_url: str
) -> None:
    """The reopened page gets the transcript, which holds the reply, and the reply that waited
    in the outbox for the closed page: both name the same transcript line."""
    settings = web_settings(tmp_path, database_url, **ALWAYS_OPEN)
    async with running(settings) as served:
        services = served.services
        assert services.desk is not None
        browser = Visitor(served.url)
        try:
            async with queued_for_an_operator(browser):
                pass  # then the tab is closed
            olga = await add_operator(services, "olga", "ru")
            row = await only_handover(services)
            await services.desk.take(olga, row.id)
            await services.desk.reply(olga, row.id, "В каком городе вы работаете?")
            await asyncio.sleep(0.3)  # the sender finds no page open: the reply waits
            await browser.open("/chat?lang=ru")
            async with browser.events() as events:
                assert (await browser.start("?lang=ru")).status_code == 202
                shown = [await events.next()]
                with contextlib.suppress(TimeoutError):
                    while True:  # everything the page gets, until a second of quiet
                        shown.append(await events.next(timeout=1.0))
        finally:
            await browser.close()
    # it may arrive twice (the outbox, the transcript), always as one transcript line, which
    # the page shows once (tests/browser: a reply written while the tab was closed)
    refs = {piece.get("ref") for piece in shown if piece["text"] == "В каком городе вы работаете?"}
    assert len(refs) == 1 and None not in refs, shown


async def test_fresh_cookies_do_not_get_round_the_limits_of_their_address(
    served: Running,
) -> None:
    """One address minting a cookie per message: past the visitors an address may bring at once
    (and the messages it may send), the rest are refused, however many cookies it holds."""
    browsers = [Visitor(served.url) for _ in range(NEWCOMERS + 10)]
    try:
        for browser in browsers:
            assert (await browser.open()).status_code == 200
        answers = [(await browser.start()).status_code for browser in browsers]
    finally:
        for browser in browsers:
            await browser.close()
    assert answers[:NEWCOMERS] == [202] * NEWCOMERS
    assert answers[NEWCOMERS:].count(429) >= 8  # one more may come in as the bucket refills


async def test_a_visitor_with_no_page_open_gets_no_more_than_a_few_replies_kept(
    served: Running, visitor: Visitor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A script posting without reading its replies is refused once MAX_WAITING wait for it;
    with the page open (the stream read), it is served again and reads every one of them."""
    monkeypatch.setattr(backlog, "MAX_WAITING", 2)
    assert (await visitor.start("?lang=ru")).status_code == 202
    assert (await visitor.send("меню")).status_code == 202
    for _ in range(200):
        if await count(served, OutboxItem) >= 2:
            break
        await asyncio.sleep(0.05)
    assert (await visitor.send("2")).status_code == 429
    assert await count(served, InboxItem) == 2  # refused before it was stored
    async with visitor.events() as events:
        assert [await events.next() for _ in range(2)]  # nothing kept was lost
        assert (await visitor.send("2")).status_code == 202
        assert await events.next()
