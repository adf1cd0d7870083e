"""A new user's first message is often their question: it is answered in its own language when
that can be told from it, and kept while the language is asked when it cannot."""

from __future__ import annotations

import pytest

from bot import LANGUAGES
from bot.engine.engine import Engine
from bot.engine.messages import Incoming, LanguageChosen
from bot.engine.model import Bundle
from bot.engine.state import LANGUAGE_NODE
from bot.engine.texts import Texts
from bot.settings import HotlineSettings
from tests.test_matching import shipped_matcher

QUESTIONS = {
    "ru": "сколько стоит патент в месяц",
    "uz": "patent narxi qancha oyiga",
    "tg": "патент дар як моҳ чанд пул аст",
}


@pytest.fixture(scope="module")
def engine(shipped_bundle: Bundle) -> Engine:
    return Engine(shipped_bundle, Texts(shipped_bundle, HotlineSettings()), shipped_matcher())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_first_question_is_answered_in_its_own_language(engine: Engine, lang: str) -> None:
    result = engine.handle(engine.new_state(), Incoming(text=QUESTIONS[lang]))
    assert result.state.lang == lang
    assert LanguageChosen(lang) in result.events
    (message,) = result.messages
    welcome = engine.texts.render(lang, "common.welcome")
    assert message.text.startswith(welcome)
    assert message.key == engine.bundle.flow_start("work_permit")  # the question's topic
    switches = [o.id for o in message.options if o.id.startswith("lang:")]
    assert sorted(switches) == sorted(f"lang:{code}" for code in LANGUAGES if code != lang)


def test_a_question_whose_language_cannot_be_told_is_answered_once_it_is_chosen(
    engine: Engine,
) -> None:
    asked = engine.handle(engine.new_state(), Incoming(text="патент"))
    assert asked.state.lang is None and asked.state.node == LANGUAGE_NODE
    assert asked.state.question == "патент"
    chosen = engine.handle(asked.state, Incoming(choice="lang:uz"))
    assert chosen.state.lang == "uz" and chosen.state.question is None
    (message,) = chosen.messages
    assert message.text.startswith(engine.texts.render("uz", "common.welcome"))
    assert message.key == engine.bundle.flow_start("work_permit")


@pytest.mark.parametrize("greeting", ["салом", "hello", "👋"])
def test_a_greeting_gets_the_welcome_and_the_menu_not_a_shrug(
    engine: Engine, greeting: str
) -> None:
    """Nothing to answer in it: the language is asked (or, told, the menu shown) as before."""
    plain = engine.handle(engine.new_state(), Incoming(choice="lang:tg")).messages
    asked = engine.handle(engine.new_state(), Incoming(text=greeting))
    assert asked.state.lang is None and asked.state.node == LANGUAGE_NODE
    assert engine.handle(asked.state, Incoming(choice="lang:tg")).messages == plain


def test_danger_in_a_first_message_reaches_a_human_at_once(engine: Engine) -> None:
    result = engine.handle(
        engine.new_state(), Incoming(text="работодатель забрал паспорт и не выпускает нас")
    )
    assert result.state.lang == "ru"
    assert result.state.handover and result.state.urgent


def test_a_command_typed_at_the_language_question_is_answered_from_the_menu(
    engine: Engine,
) -> None:
    """ "ёрдам" (help, in Uzbek and Tajik) at the language question: its language is told, the
    help is given with the menu's options, and every language button appears once."""
    asked = engine.handle(engine.new_state(), Incoming(text=""))
    assert asked.state.node == LANGUAGE_NODE
    result = engine.handle(asked.state, Incoming(text="ЁРDАМ"))
    for message in result.messages:
        ids = [option.id for option in message.options]
        assert len(ids) == len(set(ids)), ids
    assert result.state.node != LANGUAGE_NODE or result.state.lang is None
