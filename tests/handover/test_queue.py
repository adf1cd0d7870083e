"""The handover queue through the turn pipeline and the operators' desk: what opens a
request, the order operators see, atomic taking, timeouts, leaving, forgetting and retention."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from bot.engine.messages import Incoming
from bot.operators import queue
from bot.operators.desk import Desk, DeskError
from bot.operators.hours import Hours
from bot.operators.notify import Notifier
from bot.operators.sink import HandoverSink
from bot.operators.tables import CLOSED, QUEUED, TAKEN, Handover, HandoverLine, Operator
from bot.retention import purge_now
from bot.service.core import Core as App
from bot.service.core import open_core as open_app
from bot.stats.counters import StatsSink
from bot.stats.tables import OutcomeCount, ResponseTimeCount
from bot.storage.sealed import Sealer
from tests.conftest import make_settings
from tests.talking import say, turn

MONDAY_NOON = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)  # 12:00 in Moscow: hours are on


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Desked:
    app: App
    desk: Desk
    clock: Clock

    async def say(self, user: str, *texts: str, channel: str = "telegram") -> list[str]:
        out: list[str] = []
        for typed in texts:
            result = await say(self.app, channel, user, Incoming(typed))
            out += [m.text for m in result.messages]
            self.clock.now += dt.timedelta(seconds=1)
        return out

    async def started(self, user: str, channel: str = "telegram", lang: str | None = None) -> Any:
        """A (re)start: Telegram's /start, a web page opened without its stored conversation."""
        engine = self.app.service.engine
        return await turn(
            self.app, channel, user, lambda state, env: engine.start(state, lang=lang, env=env)
        )

    async def start(self, user: str, lang: str | None = None) -> list[str]:
        return [m.text for m in (await self.started(user, lang=lang)).messages]

    async def handover(self, user: str, channel: str = "telegram") -> Handover:
        cid = self.app.service.conversation_id(channel, user)
        async with self.app.service.sessions() as session:
            row = await queue.open_for(session, cid)
        assert row is not None
        return row

    async def operator(self, name: str, langs: str) -> Operator:
        async with self.app.service.sessions() as session, session.begin():
            row = Operator(
                name=name, password_hash="-", langs=langs, active=True, created_at=self.clock()
            )
            session.add(row)
        return row

    async def waiting(self, langs: tuple[str, ...]) -> list[str]:
        async with self.app.service.sessions() as session:
            return [row.tag for row in await queue.waiting(session, langs)]


@pytest.fixture
async def desked(tmp_path: Path, database_url: str) -> AsyncIterator[Desked]:
    settings = make_settings(tmp_path, database_url)
    clock = Clock(MONDAY_NOON)
    secret = settings.resolved_secret_key()
    stats = StatsSink(settings.stats)
    holder: dict[str, App] = {}
    sink = HandoverSink(
        lambda: holder["app"].service.engine, Hours(settings.hotline), Sealer(secret)
    )
    app = await open_app(settings, sinks=[stats, sink])
    holder["app"] = app
    app.service.clock = clock
    desk = Desk(app.service, stats, Notifier())
    yield Desked(app, desk, clock)
    await app.close()


async def test_asking_for_an_operator_queues_and_tells_the_place(desked: Desked) -> None:
    first = await desked.say("a", "ru", "оператор")
    second = await desked.say("b", "ru", "оператор")
    assert "1-й в очереди" in first[-1] and "2-й в очереди" in second[-1]
    row = await desked.handover("a")
    assert (row.status, row.reason, row.urgent, row.lang) == (QUEUED, "asked", False, "ru")


async def test_outside_hours_the_user_learns_when_operators_are_back(desked: Desked) -> None:
    desked.clock.now = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)  # Saturday
    replies = await desked.say("a", "uz", "operator")
    assert "dushanba, 30-noyabr, 08:30 (Moskva)" in replies[-1]
    assert "112" in replies[-1]
    assert (await desked.handover("a")).status == QUEUED  # queued all the same


async def test_danger_signs_make_it_urgent_and_urgent_goes_first(desked: Desked) -> None:
    await desked.say("calm", "ru", "оператор")
    replies = await desked.say("danger", "ru", "работодатель забрал паспорт и не отдаёт")
    assert "112" in replies[-1] and "1-й в очереди" in replies[-1]
    urgent = await desked.handover("danger")
    assert urgent.urgent and urgent.reason == "danger"
    calm = await desked.handover("calm")
    assert await desked.waiting(("ru",)) == [urgent.tag, calm.tag]


async def test_two_misses_in_a_row_offer_an_operator_and_queue_only_on_choice(
    desked: Desked,
) -> None:
    replies = await desked.say("a", "ru", "потерял паспорт", "привет")
    assert "очереди" not in replies[-1] and "Оператор" in replies[-1]
    async with desked.app.service.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Handover)) == 0
    replies = await desked.say("a", "0")  # the operator, chosen
    assert "1-й в очереди" in replies[-1]
    row = await desked.handover("a")
    assert row.reason == "asked" and row.lang == "ru"
    await desked.say("a", "паспорт у хозяина")
    async with desked.app.service.sessions() as session:
        lines = await queue.lines(session, row.id)
    sealer = Sealer(desked.app.settings.resolved_secret_key())
    said = [sealer.open(line.body) for line in lines if line.kind == "user"]
    assert said == ["паспорт у хозяина"]
    assert all("паспорт" not in line.body for line in lines)  # sealed at rest


async def test_operators_see_only_their_languages(desked: Desked) -> None:
    for user, lang in (("r", "ru"), ("u", "uz"), ("t", "tg")):
        await desked.say(user, lang, "оператор" if lang != "uz" else "operator")
    tags = {lang: (await desked.handover(user)).tag for user, lang in (("r", "ru"), ("u", "uz"))}
    assert await desked.waiting(("uz",)) == [tags["uz"]]
    assert set(await desked.waiting(("ru", "uz"))) == {tags["ru"], tags["uz"]}
    russian = await desked.operator("olga", "ru")
    uzbek = (await desked.handover("u")).id
    with pytest.raises(DeskError):
        await desked.desk.take(russian, uzbek)


async def test_two_operators_racing_for_one_conversation_one_wins(desked: Desked) -> None:
    await desked.say("a", "ru", "оператор")
    row = await desked.handover("a")
    first, second = await desked.operator("olga", "ru"), await desked.operator("ivan", "ru,uz")

    async def attempt(who: Operator) -> bool:
        try:
            await desked.desk.take(who, row.id)
        except DeskError:
            return False
        return True

    for _ in range(3):  # the same race, repeated on fresh requests
        results = await asyncio.gather(attempt(first), attempt(second))
        assert sorted(results) == [False, True]
        taken = await desked.handover("a")
        assert taken.status == TAKEN and taken.operator_id in (first.id, second.id)
        owner = first if taken.operator_id == first.id else second
        await desked.desk.hand_back(owner, row.id)
        await desked.say("a", "оператор")
        row = await desked.handover("a")


async def test_a_live_conversation_goes_to_the_operator_and_back(desked: Desked) -> None:
    await desked.say("a", "ru", "оператор")
    olga = await desked.operator("olga", "ru")
    row = await desked.handover("a")
    await desked.desk.take(olga, row.id)
    assert await desked.say("a", "мне не платят зарплату", "1") == []  # the bot is silent
    desked.clock.now += dt.timedelta(minutes=3)
    await desked.desk.reply(olga, row.id, "Сколько месяцев?")
    await desked.desk.close(olga, row.id, "labour_rights")
    async with desked.app.service.sessions() as session:
        done = await session.get(Handover, row.id)
        assert done is not None and done.status == CLOSED and done.outcome == "labour_rights"
        kinds = [line.kind for line in await queue.lines(session, row.id)]
        outcomes = (await session.execute(select(OutcomeCount.outcome, OutcomeCount.count))).all()
        buckets = (await session.execute(select(ResponseTimeCount.bucket))).scalars().all()
    assert kinds.count("user") == 2 and kinds.count("operator") == 1
    assert outcomes == [("labour_rights", 1)]
    assert len(buckets) == 1
    replies = await desked.say("a", "1")  # the bot answers again: the menu's first topic
    assert replies and "очереди" not in replies[0]


async def test_the_menu_withdraws_the_request_and_says_so(desked: Desked) -> None:
    replies = await desked.say("a", "ru", "оператор", "меню")
    assert replies[-1].startswith("Ваш запрос оператору отменён.")
    async with desked.app.service.sessions() as session:
        row = await session.scalar(select(Handover))
    assert row is not None and row.status == CLOSED and row.outcome == "user_left"


async def test_coming_back_while_queued_keeps_the_place(desked: Desked) -> None:
    await desked.say("first", "ru", "оператор")
    await desked.say("a", "uz", "operator", "pasportim yoʻq")
    desked.clock.now += dt.timedelta(minutes=5)
    for channel_start in (None, "uz"):  # /start, a reopened page; a poster's link
        replies = await desked.start("a", lang=channel_start)
        assert "Operatorga soʻrovingiz kuchda" in replies[-1]
        assert "navbatda 1-oʻrindasiz" in replies[-1]  # "first" waits in Russian
    row = await desked.handover("a")
    assert row.status == QUEUED
    async with desked.app.service.sessions() as session:
        events = [line.body for line in await queue.lines(session, row.id) if line.kind == "event"]
    assert "left" not in events


async def test_a_reopened_web_page_gets_the_conversation_since_the_handover(
    desked: Desked,
) -> None:
    web = "web"
    await desked.say("v", "tg", "оператор", "шиноснома гум шуд", channel=web)
    result = await desked.started("v", channel=web)
    texts = [(m.author, m.text) for m in result.messages]
    assert texts[0] == ("user", "шиноснома гум шуд")
    assert texts[-1][0] is None and "дар навбат 1-ум" in texts[-1][1]
    olga = await desked.operator("olga", "tg")
    row = await desked.handover("v", channel=web)
    await desked.desk.take(olga, row.id)
    await desked.desk.reply(olga, row.id, "Дар кадом шаҳр?")
    result = await desked.started("v", channel=web)
    shown = [(m.author, m.signature, m.text) for m in result.messages]
    assert ("operator", "Оператор", "Дар кадом шаҳр?") in shown
    assert "olga" not in str(shown)  # never the login
    assert shown[-1][2].startswith("Оператори хати боварӣ дар тамос аст")
    # other channels keep their own history: only the place is said again
    await desked.say("t", "tg", "оператор", "салом")
    assert [m.author for m in (await desked.started("t")).messages] == [None]


async def test_an_unanswered_conversation_returns_to_the_queue(desked: Desked) -> None:
    await desked.say("a", "ru", "оператор")
    olga = await desked.operator("olga", "ru")
    row = await desked.handover("a")
    await desked.desk.take(olga, row.id)
    await desked.say("a", "алло?")
    timeout = dt.timedelta(minutes=10)
    desked.clock.now += dt.timedelta(minutes=9)
    assert await desked.desk.requeue_unanswered(timeout) == 0
    desked.clock.now += dt.timedelta(minutes=2)
    assert await desked.desk.requeue_unanswered(timeout) == 1
    back = await desked.handover("a")
    assert back.status == QUEUED and back.operator_id is None
    with pytest.raises(DeskError):
        await desked.desk.reply(olga, row.id, "я тут")
    # no longer live: the user's words still reach the transcript; the bot says once that
    # they will reach an operator
    replies = await desked.say("a", "есть кто?", "алло")
    assert len(replies) == 1 and "Оператор прочитает это" in replies[0]


async def test_forget_me_deletes_handovers_and_transcripts(desked: Desked) -> None:
    await desked.say("a", "ru", "оператор", "мой вопрос", "удалить мои данные")
    async with desked.app.service.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Handover)) == 0
        assert await session.scalar(select(func.count()).select_from(HandoverLine)) == 0


async def test_transcripts_are_deleted_after_the_retention(desked: Desked) -> None:
    await desked.say("a", "ru", "оператор", "мой вопрос")
    olga = await desked.operator("olga", "ru")
    row = await desked.handover("a")
    await desked.desk.take(olga, row.id)
    await desked.desk.close(olga, row.id, "other")
    settings = desked.app.settings
    sessions = desked.app.service.sessions
    await purge_now(sessions, settings, now=desked.clock.now + dt.timedelta(days=29))
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(HandoverLine)) > 0
    await desked.say("a", "меню")  # keep the conversation alive: only the retention applies
    await purge_now(sessions, settings, now=desked.clock.now + dt.timedelta(days=30, hours=1))
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Handover)) == 0
        assert await session.scalar(select(func.count()).select_from(HandoverLine)) == 0


async def test_no_user_text_is_stored_in_clear(desked: Desked) -> None:
    await desked.say("a", "ru", "оператор", "секретная история")
    async with desked.app.db.connect() as connection:
        for table in ("handovers", "handover_lines"):
            rows = (await connection.execute(text(f"SELECT * FROM {table}"))).all()
            assert rows and not any("секретная" in str(v) for row in rows for v in row)
