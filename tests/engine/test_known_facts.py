"""What a person has told the bot is not asked again: a citizenship stated in a question, or
chosen once, answers every topic's citizenship question, in each language and on each channel."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot import LANGUAGES
from bot.channels.sms.shaping import SmsShaper
from bot.content import build_engine
from bot.delivery.inbound import Body
from bot.delivery.pipeline import replying
from bot.engine.engine import Engine
from bot.engine.environment import Environment
from bot.engine.messages import Incoming
from bot.engine.model import Bundle
from bot.engine.state import State
from bot.settings import HotlineSettings

STATED = {
    "ru": ("я из Таджикистана, сколько стоит патент", "TJ"),
    "uz": ("men o'zbekman, patent qancha turadi", "UZ"),
    "tg": ("ман аз Тоҷикистон, патент чанд пул аст", "TJ"),
}
LATER = {  # other topics whose flows start by asking the citizenship
    "ru": ["квота на работу", "регистрация по месту пребывания"],
    "uz": ["kvota haqida", "ro'yxatdan o'tish"],
    "tg": ["квота", "бақайдгирӣ"],
}
ASKING = ("work_permit.ask_citizenship", "quota.ask_citizenship", "registration.ask_citizenship")


@pytest.fixture(scope="module")
def engine(shipped_bundle: Bundle) -> Engine:
    return build_engine(shipped_bundle, HotlineSettings())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_stated_citizenship_answers_the_question_in_every_topic(
    engine: Engine, lang: str
) -> None:
    text, country = STATED[lang]
    result = engine.handle(engine.new_state(lang=lang), Incoming(text=text))
    assert result.state.vars["citizenship"] == country
    assert [m.key for m in result.messages] == ["work_permit.payment"]  # the price, asked nothing
    state = result.state
    for later in LATER[lang]:
        result = engine.handle(state, Incoming(text=later))
        state = result.state
        assert result.messages and all(m.key not in ASKING for m in result.messages), later


def test_a_citizenship_chosen_once_is_not_asked_again(engine: Engine) -> None:
    asked = engine.handle(engine.new_state(lang="ru"), Incoming(text="патент"))
    assert [m.key for m in asked.messages] == ["work_permit.ask_citizenship"]
    uzbek = asked.messages[0].options[0]
    chosen = engine.handle(asked.state, Incoming(choice=uzbek.id))
    assert chosen.state.vars["citizenship"] == "UZ"
    again = engine.handle(chosen.state, Incoming(text="регистрация"))
    assert all(m.key not in ASKING for m in again.messages)


def test_a_country_named_in_passing_among_several_words_is_not_guessed(engine: Engine) -> None:
    """A label of more than one word ("Другая страна") is never taken from free text."""
    result = engine.handle(engine.new_state(lang="ru"), Incoming(text="другая страна патент"))
    assert [m.key for m in result.messages] == ["work_permit.ask_citizenship"]
    assert "citizenship" not in result.state.vars


def test_an_sms_conversation_keeps_it_too(engine: Engine) -> None:
    shaper = SmsShaper(lambda: engine, max_segments=3)
    env = Environment.at(dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC), ZoneInfo("Europe/Moscow"))
    state: State = engine.new_state(lang="ru")
    for text in (STATED["ru"][0], *LATER["ru"]):
        step = shaper(replying(engine, Incoming(text=text)), Body(text=text))
        result = step(state, env)
        state = result.state
        assert all(m.key not in ASKING for m in result.messages), text
    assert state.vars["citizenship"] == "TJ"
