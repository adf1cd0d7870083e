"""The console's queue and conversation pages and the actions on a conversation, with users
asking for a human through the Telegram webhook and the fake Bot API receiving what they are
told."""

from __future__ import annotations

import asyncio
import html
import re

from sqlalchemy import select

from bot.operators.tables import Handover
from bot.stats.tables import OutcomeCount
from tests.channels.telegram.conftest import Served
from tests.fakes import updates
from tests.operators.conftest import ask_operator, operator_browser, user_says

CHAT = 5_120_348_811


async def handover(served: Served, handover_id: int) -> Handover:
    async with served.services.sessions() as session:
        row: Handover | None = await session.get(Handover, handover_id)
        assert row is not None
        return row


def waiting_tags(page: str) -> list[str]:
    body = page.split('id="waiting"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r">(#[0-9A-F]{4})</a>", body)


async def test_the_queue_shows_my_languages_urgent_first_then_oldest(served: Served) -> None:
    first = await ask_operator(served, CHAT, "ru", 100)
    uzbek = await ask_operator(served, CHAT + 1, "uz", 200)
    tajik = await ask_operator(served, CHAT + 2, "tg", 300)
    later = await ask_operator(served, CHAT + 3, "ru", 400)
    urgent = await ask_operator(served, CHAT + 4, "ru", 500, text="забрали паспорт")
    assert urgent.urgent and not first.urgent
    browser = await operator_browser(served, "olga", "ru,uz")
    page = (await browser.open()).text
    assert waiting_tags(page) == [urgent.tag, first.tag, uzbek.tag, later.tag]
    assert tajik.tag not in page
    assert page.count("Срочно") >= 1
    only_tajik = await operator_browser(served, "farrukh", "tg")
    assert waiting_tags((await only_tajik.open()).text) == [tajik.tag]


async def test_a_conversation_in_another_language_is_not_found(served: Served) -> None:
    row = await ask_operator(served, CHAT, "ru", 100)
    browser = await operator_browser(served, "farrukh", "tg")
    assert (await browser.get(f"/operator/c/{row.id}")).status_code == 404
    assert (await browser.get(f"/operator/c/{row.id}/events")).status_code == 404
    assert (await browser.post(f"/operator/c/{row.id}/take")).status_code == 404
    assert (await handover(served, row.id)).status == "queued"


async def test_a_post_without_the_right_csrf_token_changes_nothing(served: Served) -> None:
    row = await ask_operator(served, CHAT, "ru", 100)
    browser = await operator_browser(served, "olga", "ru")
    other = await operator_browser(served, "marat", "ru")
    assert (await browser.post(f"/operator/c/{row.id}/take", csrf=False)).status_code == 403
    wrong = {"csrf": "x" * 43}
    assert (await browser.post(f"/operator/c/{row.id}/take", wrong, csrf=False)).status_code == 403
    theirs = {"csrf": other.csrf}  # a real token, of another login
    assert (await browser.post(f"/operator/c/{row.id}/take", theirs, csrf=False)).status_code == 403
    header = await browser.post(
        f"/operator/c/{row.id}/take", csrf=False, headers={"X-CSRF-Token": "nope"}
    )
    assert header.status_code == 403
    assert (await handover(served, row.id)).status == "queued"
    ok = await browser.post(
        f"/operator/c/{row.id}/take", csrf=False, headers={"X-CSRF-Token": browser.csrf}
    )
    assert ok.status_code == 303 and (await handover(served, row.id)).status == "taken"


async def test_take_reply_close_reaches_the_user_and_counts_the_outcome(served: Served) -> None:
    row = await ask_operator(served, CHAT, "ru", 100)
    browser = await operator_browser(served, "olga", "ru")
    before = len(served.fake.sent(CHAT))
    taken = await browser.post(f"/operator/c/{row.id}/take")
    assert taken.status_code == 303 and taken.headers["location"] == f"/operator/c/{row.id}?m=taken"
    assert await served.replies(before + 1, CHAT)
    assert "Оператор горячей линии на связи" in served.fake.sent(CHAT)[-1].params["text"]
    await user_says(served, CHAT, 102, "Мне не платят зарплату")
    page = (await browser.open(f"/operator/c/{row.id}")).text
    assert "Мне не платят зарплату" in page and "Оператор взял разговор" in page
    words = "Здравствуйте! В каком городе вы работаете?"
    sent = await browser.post(f"/operator/c/{row.id}/reply", {"text": words})
    assert sent.status_code == 303
    assert await served.replies(before + 2, CHAT)
    assert html.unescape(served.fake.sent(CHAT)[-1].params["text"]) == f"<b>Оператор:</b>\n{words}"
    assert words in (await browser.open(f"/operator/c/{row.id}")).text
    closed = await browser.post(f"/operator/c/{row.id}/close", {"outcome": "labour_rights"})
    assert closed.status_code == 303 and closed.headers["location"] == "/operator?m=done_closed"
    assert await served.replies(before + 3, CHAT)
    last = served.fake.sent(CHAT)[-1].params
    assert "Оператор завершил разговор" in last["text"]
    assert last["reply_markup"]["inline_keyboard"]  # the menu again
    assert (await handover(served, row.id)).outcome == "labour_rights"
    async with served.services.sessions() as session:
        counts = (await session.scalars(select(OutcomeCount))).all()
    assert [(c.outcome, c.count, c.channel) for c in counts] == [("labour_rights", 1, "telegram")]


async def test_an_unknown_outcome_is_refused(served: Served) -> None:
    row = await ask_operator(served, CHAT, "ru", 100)
    browser = await operator_browser(served, "olga", "ru")
    await browser.post(f"/operator/c/{row.id}/take")
    refused = await browser.post(f"/operator/c/{row.id}/close", {"outcome": "lottery"})
    assert refused.headers["location"].endswith("?m=bad_outcome")
    assert (await handover(served, row.id)).status == "taken"


async def test_handing_back_lets_the_bot_answer_again(served: Served) -> None:
    row = await ask_operator(served, CHAT, "ru", 100)
    browser = await operator_browser(served, "olga", "ru")
    await browser.post(f"/operator/c/{row.id}/take")
    answer = await browser.post(
        f"/operator/c/{row.id}/handback", headers={"Accept": "application/json"}
    )
    assert answer.status_code == 200 and answer.json()["ok"] is True
    assert await served.settled()
    after_handback = len(served.fake.sent(CHAT))
    assert "Оператор вернул разговор боту" in served.fake.sent(CHAT)[-1].params["text"]
    assert (await handover(served, row.id)).outcome == "handed_back"
    await user_says(served, CHAT, 103, "помощь")
    assert await served.replies(after_handback + 1, CHAT)
    assert "меню" in served.fake.sent(CHAT)[-1].params["text"].lower()


async def test_returning_to_the_queue_lets_a_colleague_take_it(served: Served) -> None:
    row = await ask_operator(served, CHAT, "ru", 100)
    olga = await operator_browser(served, "olga", "ru")
    marat = await operator_browser(served, "marat", "ru")
    await olga.post(f"/operator/c/{row.id}/take")
    refused = await marat.post(f"/operator/c/{row.id}/reply", {"text": "hi"})
    assert refused.headers["location"].endswith("?m=not_yours")
    assert (
        (await olga.post(f"/operator/c/{row.id}/requeue"))
        .headers["location"]
        .endswith("?m=done_requeued")
    )
    assert (await marat.post(f"/operator/c/{row.id}/take")).headers["location"].endswith("=taken")
    assert (await handover(served, row.id)).status == "taken"


async def test_two_operators_racing_to_take_one_conversation(served: Served) -> None:
    row = await ask_operator(served, CHAT, "ru", 100)
    olga = await operator_browser(served, "olga", "ru")
    marat = await operator_browser(served, "marat", "ru")
    json_ = {"Accept": "application/json"}
    answers = await asyncio.gather(
        olga.post(f"/operator/c/{row.id}/take", headers=json_),
        marat.post(f"/operator/c/{row.id}/take", headers=json_),
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200, 409]
    lost = next(answer.json() for answer in answers if answer.status_code == 409)
    assert lost["code"] == "not_available" and "уже взял другой оператор" in lost["message"]
    winner, loser = (olga, marat) if answers[0].status_code == 200 else (marat, olga)
    assert (await handover(served, row.id)).operator_id is not None
    reply_form = re.compile(r'<form id="reply-form"[^>]*>')
    mine = reply_form.search((await winner.open(f"/operator/c/{row.id}")).text)
    theirs = reply_form.search((await loser.open(f"/operator/c/{row.id}")).text)
    assert mine is not None and "hidden" not in mine.group(0)
    assert theirs is not None and "hidden" in theirs.group(0)


async def test_what_a_user_writes_is_escaped(served: Served) -> None:
    row = await ask_operator(served, CHAT, "ru", 100)
    browser = await operator_browser(served, "olga", "ru")
    await browser.post(f"/operator/c/{row.id}/take")
    await user_says(served, CHAT, 102, "<script>alert(1)</script>")
    page = (await browser.open(f"/operator/c/{row.id}")).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


async def test_pages_show_the_tag_and_never_the_conversation_or_chat(served: Served) -> None:
    row = await ask_operator(served, CHAT, "ru", 100)
    browser = await operator_browser(served, "olga", "ru")
    await browser.post(f"/operator/c/{row.id}/take")
    await user_says(served, CHAT, 102, "Где продлить патент?")
    pages = [
        (await browser.open()).text,
        (await browser.open(f"/operator/c/{row.id}")).text,
    ]
    for page in pages:
        assert row.tag in page
        assert row.conversation_id not in page
        assert str(CHAT) not in page
        assert "Dilshod" not in page and "dilshod_rahimov" not in page


async def test_the_context_shows_topics_answers_and_canned_replies(served: Served) -> None:
    start = updates.load("start_payload", chat_id=CHAT, update_id=100, text="/start ru")
    assert (await served.post_update(start)).status_code == 200
    for update_id, text in enumerate(("патент", "1"), start=101):
        await user_says(served, CHAT, update_id, text)
    row = await ask_operator(served, CHAT, "ru", 103)
    assert row.context["answers"] == ["work_permit.about"]
    browser = await operator_browser(served, "olga", "ru")
    page = (await browser.open(f"/operator/c/{row.id}")).text
    context = page.split('class="context"', 1)[1]
    assert "Патент, работа" in context  # the topic's label
    answer = served.services.content.engine.texts.render("ru", "work_permit.about_other")
    assert html.escape(" ".join(answer.split())[:60], quote=True) in context
    assert "Готовые ответы" in page and 'class="canned-reply"' in page
    assert "Не пишите, пожалуйста, имя, номер паспорта" in page  # canned.no_personal (ru)
    assert '<option value="other">' in page and '<option value="work_permit">' in page


async def test_console_files_are_served_from_a_fixed_list(served: Served) -> None:
    browser = await operator_browser(served, "olga", "ru")
    script = await browser.get("/operator/static/console.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith(
        "text/javascript"
    )
    assert script.headers["x-frame-options"] == "DENY"
    assert (await browser.get("/operator/static/console.css")).status_code == 200
    for name in ("..%2Fconsole.py", "missing.js", "%2E%2E%2F%2E%2E%2Fsettings.py"):
        assert (await browser.get(f"/operator/static/{name}")).status_code == 404


CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def outcome_names(page: str) -> dict[str, str]:
    """The outcome list of a conversation page: code -> the name the operator reads."""
    select_html = page.split('name="outcome"', 1)[1].split("</select>", 1)[0]
    return {
        code: html.unescape(name)
        for code, name in re.findall(r'<option value="(\w+)">([^<]*)</option>', select_html)
    }


async def test_topic_names_are_in_the_consoles_language_from_one_source(served: Served) -> None:
    row = await ask_operator(served, CHAT, "ru", 100)
    browser = await operator_browser(served, "olga", "ru")
    texts = served.services.content.engine.texts

    russian = outcome_names((await browser.open(f"/operator/c/{row.id}")).text)
    assert {"general", "other", "labour_rights", "work_permit"} <= set(russian)
    for code, name in russian.items():  # the same words as the topics of the bot's menu
        assert name == texts.render("ru", f"common.topic.{code}"), code
        assert CYRILLIC.search(name), (code, name)

    english_page = await browser.get(f"/operator/c/{row.id}", headers={"Accept-Language": "en"})
    english = outcome_names(english_page.text)
    assert set(english) == set(russian)
    for code, name in english.items():
        assert not CYRILLIC.search(name), (code, name)
    assert english["labour_rights"] == "Labour rights, wages"
    assert english["other"] == "Other"
