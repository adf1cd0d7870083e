"""Scripted conversations produce exactly the expected counters, once per conversation, topic and
day; the questionnaire runs only after a yes, at most once a month, and its answers are counted
but never kept with the conversation."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

from sqlalchemy import select

from bot.conversation import Context
from bot.engine.messages import Incoming, SurveyAnswered
from bot.engine.state import State
from bot.service.core import open_core as open_app
from bot.stats.tables import (
    ContactCount,
    EscalationCount,
    OutcomeCount,
    ResponseTimeCount,
    SurveyCount,
    TopicCount,
)
from bot.storage.tables import Conversation
from tests.conftest import make_settings
from tests.stats.conftest import NOON, Harness
from tests.talking import greet, say

DAY = dt.date(2026, 11, 23)
MONTH = "2026-11"
SURVEY_QUESTIONS = {
    "survey.gender",
    "survey.age",
    "survey.citizenship",
    "survey.patent",
    "survey.registration",
    "survey.heard_from",
}


async def script(h: Harness, user: str, lines: list[str], channel: str = "terminal") -> list[str]:
    """Send each line; the content keys of every answer, in order."""
    keys: list[str] = []
    for line in lines:
        result = await h.say(user, line, channel=channel)
        keys += [m.key or "" for m in result.messages]
    return keys


async def test_scripted_conversations_produce_exactly_the_expected_counts(h: Harness) -> None:
    await h.start("anna", "ru", source="metro")
    await script(
        h,
        "anna",
        [
            "2",  # work permit: an answer
            "1",  # the fine: another answer of the same topic, same day
            "меню",  # back to the menu: the questionnaire is offered first
            "1",  # yes
            "1",  # gender: female
            "5",  # age: skipped
            "2",  # citizenship: Tajikistan
            "3",  # patent: skipped
            "2",  # registration: no
            "2",  # heard from: a leaflet
            "1",  # thanks -> menu
            "1",  # registration topic
            "1",  # Uzbekistan: an answer
            "оператор",
        ],
    )
    await h.start("bek", "uz", channel="sms")
    await script(h, "bek", ["1", "2", "меню", "2", "0"], channel="sms")

    assert await h.rows(TopicCount) == {
        (DAY, "work_permit", "ru", "terminal", "metro", 1),
        (DAY, "registration", "ru", "terminal", "metro", 1),
        (DAY, "registration", "uz", "sms", "none", 1),
    }
    assert await h.rows(ContactCount) == {
        (DAY, "ru", "terminal", "metro", 1, 1),
        (DAY, "uz", "sms", "none", 1, 1),
    }
    assert await h.rows(EscalationCount) == {
        (DAY, "ru", "terminal", False, "asked", 1),
        (DAY, "uz", "sms", False, "asked", 1),
    }
    assert await h.rows(SurveyCount) == {
        (MONTH, "offer", "offered", 2),
        (MONTH, "offer", "accepted", 1),
        (MONTH, "offer", "declined", 1),
        (MONTH, "gender", "female", 1),
        (MONTH, "citizenship", "tj", 1),
        (MONTH, "registration", "no", 1),
        (MONTH, "heard_from", "leaflet", 1),
    }


async def test_one_person_reaching_a_topic_twice_a_day_counts_once(h: Harness) -> None:
    await h.start("anna")
    await script(h, "anna", ["2", "1", "меню", "2", "2", "1"])  # topic, menu (survey: no), again
    assert await h.rows(TopicCount) == {(DAY, "work_permit", "ru", "terminal", "none", 1)}
    assert await h.rows(ContactCount) == {(DAY, "ru", "terminal", "none", 1, 1)}

    await h.start("bek")  # another person on the same day is another count
    await script(h, "bek", ["2"])
    h.clock.now = NOON + dt.timedelta(days=1)  # the same person the next day counts again
    await script(h, "anna", ["меню", "2"])
    next_day = DAY + dt.timedelta(days=1)
    assert await h.rows(TopicCount) == {
        (DAY, "work_permit", "ru", "terminal", "none", 2),
        (next_day, "work_permit", "ru", "terminal", "none", 1),
    }
    assert await h.rows(ContactCount) == {
        (DAY, "ru", "terminal", "none", 2, 2),
        (next_day, "ru", "terminal", "none", 1, 0),  # active again, not a new conversation
    }


async def test_the_questionnaire_never_runs_without_a_yes(h: Harness) -> None:
    await h.start("anna")
    keys = await script(h, "anna", ["2", "меню"])
    assert keys[-1] == "survey.offer"
    keys = await script(h, "anna", ["2"])  # no
    assert keys == ["common.menu.title"]
    keys = await script(h, "anna", ["2", "1", "меню", "1", "1"])  # more answers: no new offer
    assert not SURVEY_QUESTIONS & set(keys)
    # A questionnaire button pressed without a yes (an old or forged button id) is not counted.
    await say(h.app, "terminal", "anna", Incoming(choice="survey.gender:0"))
    assert await h.rows(SurveyCount) == {
        (MONTH, "offer", "offered", 1),
        (MONTH, "offer", "declined", 1),
    }


async def test_the_sink_ignores_answers_without_a_yes(h: Harness) -> None:
    state = State(lang="ru")
    ctx = Context("c", "terminal", state, NOON)
    async with h.app.service.sessions() as session, session.begin():
        await h.sink.record(session, ctx, [SurveyAnswered("gender", "female")])
    assert not [r for r in await h.rows(SurveyCount) if r[1] == "gender"]


async def test_the_questionnaire_is_offered_at_most_once_a_month(h: Harness) -> None:
    await h.start("anna")
    assert (await script(h, "anna", ["2", "меню"]))[-1] == "survey.offer"
    await script(h, "anna", ["2"])  # no
    for _ in range(3):
        assert "survey.offer" not in await script(h, "anna", ["2", "меню"])
    h.clock.now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)  # a new month
    assert (await script(h, "anna", ["2", "меню"]))[-1] == "survey.offer"
    offered = {(r[0], r[2]): r[3] for r in await h.rows(SurveyCount)}
    assert offered[(MONTH, "offered")] == 1
    assert offered[("2026-12", "offered")] == 1


async def test_the_questionnaire_is_offered_with_statistics_off(
    tmp_path: Path, database_url: str, stats_root: Path
) -> None:
    """The engine knows the month (the pipeline tells it): the statistics do not schedule it."""
    settings = make_settings(tmp_path, database_url, CONTENT_ROOT=str(stats_root))
    app = await open_app(settings, sinks=[])
    try:
        await greet(app, "terminal", "anna", lang="ru")
        await say(app, "terminal", "anna", Incoming(text="2"))
        result = await say(app, "terminal", "anna", Incoming(text="меню"))
        assert result.messages[-1].key == "survey.offer"
        await say(app, "terminal", "anna", Incoming(text="2"))  # no
        await say(app, "terminal", "anna", Incoming(text="2"))
        again = await say(app, "terminal", "anna", Incoming(text="меню"))
        assert again.messages[-1].key != "survey.offer"  # once a month
    finally:
        await app.close()


async def test_answers_are_counted_once_and_never_kept_with_the_conversation(h: Harness) -> None:
    await h.start("anna")
    # yes, female, 45+, back, 18-24 (a changed answer is not counted again), ...
    await script(h, "anna", ["2", "меню", "1", "1", "4", "назад", "1", "1", "1", "1", "6"])
    rows = await h.rows(SurveyCount)
    assert (MONTH, "age", "45_plus", 1) in rows
    assert not [r for r in rows if r[1] == "age" and r[2] != "45_plus"]
    async with h.app.service.sessions() as session:
        stored = json.dumps((await session.execute(select(Conversation.state))).scalars().all())
    for answer in ("female", "45_plus", "uz", "radio"):
        assert answer not in stored


async def test_concurrent_conversations_lose_no_increment(h: Harness) -> None:
    users = [f"user{n}" for n in range(12)]
    for user in users:
        await h.start(user)
    await asyncio.gather(*(h.say(user, "2") for user in users))
    assert await h.rows(TopicCount) == {(DAY, "work_permit", "ru", "terminal", "none", 12)}


async def test_sources_are_counted_and_unsafe_ones_are_not(h: Harness) -> None:
    await h.start("a", source="Metro")
    await h.start("b", source="+79161234567")  # a phone number in a forged link
    await h.start("c", source="<b>x</b>")
    sources = {r[3]: r[4] for r in await h.rows(ContactCount)}
    assert sources == {"metro": 1, "other": 2}


async def test_operator_outcomes_and_response_times_plug_in(h: Harness) -> None:
    state = State(lang="tg")
    ctx = Context("c", "telegram", state, NOON)
    async with h.app.service.sessions() as session, session.begin():
        assert await h.sink.count_outcome(session, ctx, "answered")
        assert not await h.sink.count_outcome(session, ctx, "answered")  # once a day
        assert await h.sink.count_outcome(session, ctx, "referred")
        for seconds in (30, 59.9, 60, 7200, 90_000):
            await h.sink.count_response_time(
                session, now=NOON, channel="telegram", urgent=False, seconds=seconds
            )
    assert await h.rows(OutcomeCount) == {
        (DAY, "tg", "telegram", "answered", 1),
        (DAY, "tg", "telegram", "referred", 1),
    }
    assert await h.rows(ResponseTimeCount) == {
        (DAY, "telegram", False, "under_1m", 2),
        (DAY, "telegram", False, "1_5m", 1),
        (DAY, "telegram", False, "1_4h", 1),
        (DAY, "telegram", False, "over_24h", 1),
    }


async def test_going_back_to_the_offer_counts_the_offer_once(h: Harness) -> None:
    await h.start("anna")
    await script(h, "anna", ["2", "меню", "1", "назад", "1", "2"])  # yes, back, yes, male
    assert await h.rows(SurveyCount) == {
        (MONTH, "offer", "offered", 1),
        (MONTH, "offer", "accepted", 1),
        (MONTH, "gender", "male", 1),
    }
