"""A typed question opens the answer it asks for (content/<lang>/answers.yaml), not the start of
its topic: "сколько стоит патент в Москве" gets the Moscow price in one step, in each language."""

from __future__ import annotations

import pytest

from bot import LANGUAGES
from bot.content import build_engine
from bot.engine.engine import Engine
from bot.engine.messages import Incoming
from bot.engine.model import Bundle
from bot.engine.texts import format_value
from bot.settings import HotlineSettings

PRICE = {
    "ru": "сколько стоит патент в Москве",
    "uz": "Moskvada patent qancha turadi",
    "tg": "патент дар Маскав чанд пул аст",
}


@pytest.fixture(scope="module")
def engine(shipped_bundle: Bundle) -> Engine:
    return build_engine(shipped_bundle, HotlineSettings())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_price_in_moscow_is_answered_in_one_step(engine: Engine, lang: str) -> None:
    moscow = engine.texts.render(lang, "work_permit.payment")
    price = format_value(engine.bundle.values["patent_tax_moscow"], lang)
    for state in (engine.new_state(lang=lang), engine.new_state()):  # also as a first message
        (message,) = engine.handle(state, Incoming(text=PRICE[lang])).messages
        assert message.key == "work_permit.payment"
        assert message.text.endswith(moscow)
        assert price in message.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_question_naming_no_answer_still_opens_its_topic(engine: Engine, lang: str) -> None:
    (message,) = engine.handle(engine.new_state(lang=lang), Incoming(text="патент")).messages
    assert message.key == engine.bundle.flow_start("work_permit")


def test_an_answer_of_another_topic_is_never_opened(engine: Engine) -> None:
    """The answers' words choose within the topic the question is about, never across."""
    (message,) = engine.handle(
        engine.new_state(lang="ru"), Incoming(text="регистрация сколько стоит")
    ).messages
    assert not (message.key or "").startswith("work_permit.")
