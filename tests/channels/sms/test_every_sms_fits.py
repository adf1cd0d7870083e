"""Every SMS a user of the shipped content gets fits `SMS_MAX_SEGMENTS` with its options on the
same page: the menu after the language choice, "not understood", a request for an operator with
the queue or after-hours notice joined to it, the language question (one segment), and every node
of every flow in every language (a property over the shipped content).

The turns run through the service exactly as the SMS channel runs them: the engine, the SMS
shaping around it, the sinks' notices joined, then the paging."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import LANGUAGES
from bot.channels.rendering import render_sms
from bot.channels.sms.shaping import SmsShaper
from bot.channels.sms_segments import fold_for_sms, sms_cost
from bot.content import build_engine
from bot.conversation import finished, joined
from bot.delivery.inbound import Body
from bot.engine.engine import Engine, Result
from bot.engine.environment import Environment
from bot.engine.messages import Incoming, Outgoing
from bot.engine.model import MENU_FLOW, Bundle
from bot.engine.state import State
from bot.lint.sms import node_sms
from bot.operators.hours import Hours
from bot.operators.sink import HandoverSink
from bot.service.core import Core as App
from bot.service.core import open_core as open_app
from bot.settings import Settings
from bot.stats.counters import StatsSink
from bot.storage import conversations
from bot.storage.sealed import Sealer
from tests.conftest import make_settings
from tests.talking import turn

SATURDAY_NIGHT = dt.datetime(2026, 11, 28, 23, 0, tzinfo=dt.UTC)
MONDAY_NOON = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
MAX = Settings.from_env({}).twilio.max_segments


@dataclass
class Phone:
    """A conversation over SMS with the real service, the SMS shaping and the operator queue."""

    app: App
    shaper: SmsShaper
    now: dt.datetime = MONDAY_NOON

    async def send(self, user: str, text: str) -> list[str]:
        engine = self.app.service.engine

        def inner(state: State, env: Environment) -> Result:
            return engine.handle(state, Incoming(text), env)

        result = await turn(self.app, "sms", user, self.shaper(inner, Body(text=text)))
        return [render_sms(m) for m in result.messages]

    def hint(self, lang: str) -> str:
        return self.app.service.engine.texts.render(lang, "sms.more_hint", sms=True)


@pytest.fixture
async def phone(tmp_path: Path, database_url: str) -> AsyncIterator[Phone]:
    settings = make_settings(tmp_path, database_url)
    holder: dict[str, App] = {}
    handovers = HandoverSink(
        lambda: holder["app"].service.engine,
        Hours(settings.hotline),
        Sealer(settings.resolved_secret_key()),
    )
    stats = StatsSink(settings.stats)
    app = holder["app"] = await open_app(settings, sinks=[stats, handovers])
    made = Phone(app, SmsShaper(lambda: app.service.engine, settings.twilio.max_segments))
    app.service.clock = lambda: made.now
    yield made
    await app.close()


def option_lines(sms: str) -> list[str]:
    return [line for line in sms.split("\n") if line[:1].isdigit() and line[1:2] == " "]


def menu_numbers(bundle: Bundle) -> set[str]:
    menu = bundle.node(bundle.menu_ref)
    assert menu is not None
    return {str(n) for n in range(1, len(menu.options) + 1)} | {"0"}


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_first_sms_after_the_language_choice_has_every_menu_option(
    phone: Phone, lang: str
) -> None:
    await phone.send("u", "?")
    (first,) = await phone.send("u", str(LANGUAGES.index(lang) + 1))
    numbers = {line.split(" ", 1)[0] for line in option_lines(first)}
    assert numbers == menu_numbers(phone.app.service.engine.bundle), first
    assert sms_cost(first).segments <= MAX, sms_cost(first)
    assert phone.hint(lang) not in first


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_not_understood_comes_with_its_options_and_no_more_hint(
    phone: Phone, lang: str
) -> None:
    await phone.send("u", str(LANGUAGES.index(lang) + 1))
    (reply,) = await phone.send("u", "qwzx vbnm plkj")
    assert sms_cost(reply).segments <= MAX, sms_cost(reply)
    assert "\n0 " in reply and "\n1 " in reply, reply
    assert phone.hint(lang) not in reply


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("now", [MONDAY_NOON, SATURDAY_NIGHT], ids=["queued", "after_hours"])
async def test_a_request_for_an_operator_with_its_notice_fits(
    phone: Phone, lang: str, now: dt.datetime
) -> None:
    phone.now = now
    await phone.send("u", str(LANGUAGES.index(lang) + 1))
    (reply,) = await phone.send("u", "0")
    assert sms_cost(reply).segments <= MAX, (sms_cost(reply), reply)
    assert phone.hint(lang) not in reply
    assert reply.rstrip().split("\n")[-1][:2] in {"1 ", "2 "}, reply  # the options come last


async def test_the_language_question_is_one_segment(phone: Phone) -> None:
    (question,) = await phone.send("u", "salom")
    assert sms_cost(question).segments == 1, (sms_cost(question), question)
    assert len(option_lines(question)) == len(LANGUAGES)


# --- a property over the shipped content: every node, every language ----------------------------


def shaped(engine: Engine, state: State, messages: list[Outgoing]) -> tuple[list[str], State]:
    """What the SMS channel sends for these messages: the first page, and the state holding the
    pages still waiting for MORE."""
    shaper = SmsShaper(lambda: engine, MAX)
    step = shaper(lambda state, env: Result(state, list(messages)), Body(text="x"))
    result = finished(step(state, Environment.at(MONDAY_NOON, ZoneInfo("Europe/Moscow"))))
    return [render_sms(m) for m in result.messages], result.state


def notices(engine: Engine, lang: str) -> list[list[Outgoing]]:
    texts = engine.texts
    hours = Hours(Settings.from_env({}).hotline)
    back = hours.next_opening(SATURDAY_NIGHT)
    assert back is not None
    said = []
    for key, extra in (
        ("operator.queued", {"position": "100"}),
        ("operator.after_hours", {"back_at": hours.format_back(back, lang)}),
    ):
        text = texts.render(lang, key, extra=extra)
        said.append([Outgoing(text, sms_text=texts.render(lang, key, sms=True, extra=extra))])
    return [[], *said]


def test_every_node_in_every_language_fits_one_sms_with_its_options(
    shipped_bundle: Bundle,
) -> None:
    engine = build_engine(shipped_bundle, Settings.from_env({}).hotline)
    texts = engine.texts
    failures = []
    for flow in shipped_bundle.flows.values():
        for node in flow.nodes.values():
            for key in sorted(set(node.say.values())):
                for lang in LANGUAGES:
                    history = [shipped_bundle.menu_ref] if node.flow != MENU_FLOW else []
                    state = State(lang=lang, node=node.ref, history=history)
                    message = Outgoing(
                        texts.render(lang, key),
                        engine.options(state).options,
                        sms_text=texts.render(lang, key, sms=True),
                    )
                    for notice in notices(engine, lang) if node.handover else [[]]:
                        sent, after = shaped(engine, state, joined([message], notice))
                        (sms,) = sent
                        pages = sms_cost(sms).segments
                        if pages > MAX or after.pages or option_lines(sms) == []:
                            failures.append(f"{lang} {node.ref} ({key}): {pages} segments")
    assert failures == []


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_lint_costs_a_node_with_its_notice_exactly_as_it_is_sent(
    phone: Phone, lang: str
) -> None:
    phone.now = SATURDAY_NIGHT
    await phone.send("u", str(LANGUAGES.index(lang) + 1))
    (sent,) = await phone.send("u", "0")
    hours = Hours(phone.app.settings.hotline)
    back = hours.next_opening(SATURDAY_NIGHT)
    assert back is not None
    engine = phone.app.service.engine
    costed = {
        (sms.lang, sms.ref, sms.key): sms
        for sms in node_sms(
            engine.bundle, engine.texts, MAX, back_at={lang: hours.format_back(back, lang)}
        )
        if sms.lang == lang
    }
    linted = costed[lang, "operator.request", "operator.request + operator.after_hours"]
    assert linted.pages == (sent,)
    assert linted.cost == sms_cost(sent)


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_start_after_stop_comes_back_with_every_menu_option(phone: Phone, lang: str) -> None:
    await phone.send("u", str(LANGUAGES.index(lang) + 1))
    await phone.send("u", "STOP")
    (back,) = await phone.send("u", "START")
    numbers = {line.split(" ", 1)[0] for line in option_lines(back)}
    assert numbers == menu_numbers(phone.app.service.engine.bundle), back
    assert sms_cost(back).segments <= MAX


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_more_after_the_last_page_says_so_and_never_reaches_an_operator(
    phone: Phone, lang: str
) -> None:
    engine = phone.app.service.engine
    more = engine.bundle.lexicon(lang, "commands")["more"][0]
    await phone.send("u", str(LANGUAGES.index(lang) + 1))
    for _ in range(3):  # "not understood" twice in a row would hand over to a human
        (reply,) = await phone.send("u", more)
        said = fold_for_sms(engine.texts.render(lang, "sms.no_more", sms=True))
        assert reply.startswith(said), reply
        assert "\n0 " in reply and phone.hint(lang) not in reply
    cid = phone.app.service.conversation_id("sms", "u")
    async with phone.app.service.sessions() as session:
        found = await conversations.load(session, [cid], now=phone.now, ttl=phone.app.service.ttl)
    state = found[cid].state
    assert not state.handover and state.misses == 0
