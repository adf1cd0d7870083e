"""Promises the shipped content keeps, whatever editors change."""

from __future__ import annotations

import re
from collections import deque

import pytest

from bot import LANGUAGES, TOPICS
from bot.engine.engine import Engine
from bot.engine.messages import Incoming
from bot.engine.model import MENU_FLOW, Bundle
from bot.engine.texts import Texts
from bot.engine.understanding import NoUnderstanding
from bot.settings import HotlineSettings
from tests.test_matching import shipped_matcher


def answer_depths(bundle: Bundle, topic: str) -> list[int]:
    start = bundle.flow_start(topic)
    depths, queue, seen = [], deque([(start, 0)]), set()
    while queue:
        ref, depth = queue.popleft()
        node = bundle.node(ref)
        if node is None or ref in seen or not ref.startswith(topic + "."):
            continue
        seen.add(ref)
        if node.answer:
            depths.append(depth)
        queue.extend((o.next, depth + 1) for o in node.options)
    return depths


@pytest.mark.parametrize("topic", TOPICS)
def test_every_topic_has_a_flow_with_answers_two_levels_deep(
    shipped_bundle: Bundle, topic: str
) -> None:
    assert shipped_bundle.flows[topic].topic == topic
    menu = shipped_bundle.flows[MENU_FLOW].nodes["main"]
    assert shipped_bundle.flow_start(topic) in {o.next for o in menu.options}
    # two levels below the main menu at least: the flow's first question, then answers
    assert max(answer_depths(shipped_bundle, topic)) >= 1
    assert len(answer_depths(shipped_bundle, topic)) >= 3


@pytest.mark.parametrize("lang", LANGUAGES)
def test_trafficking_gives_the_emergency_number_at_once_and_an_operator(
    shipped_bundle: Bundle, lang: str
) -> None:
    hotline = HotlineSettings(emergency_phone="112-TEST")
    engine = Engine(shipped_bundle, Texts(shipped_bundle, hotline), NoUnderstanding())
    menu = shipped_bundle.flows[MENU_FLOW].nodes["main"]
    number = next(i + 1 for i, o in enumerate(menu.options) if o.next.startswith("trafficking."))
    result = engine.handle(engine.new_state(lang=lang), Incoming(text=str(number)))
    (message,) = result.messages
    assert "112-TEST" in message.text
    assert message.topic == "trafficking"
    choices = [engine.handle(result.state, Incoming(choice=o.id)) for o in message.options]
    assert any(r.state.handover and r.state.urgent for r in choices)


def test_scripts_uzbek_latin_tajik_cyrillic(shipped_bundle: Bundle) -> None:
    cyrillic = re.compile(r"[А-Яа-яЁёҒғҚқҲҳЎў]")
    for key, entry in shipped_bundle.texts["uz"].items():
        assert not cyrillic.search(re.sub(r"«[^»]*»", "", entry.text)), key
    tajik_letters = re.compile(r"[ғӣқӯҳҷҒӢҚӮҲҶ]")
    long_tg = [e for e in shipped_bundle.texts["tg"].values() if len(e.text) > 80]
    assert all(tajik_letters.search(e.text) for e in long_tg)


def test_answers_have_source_and_review_date(shipped_bundle: Bundle) -> None:
    for flow in shipped_bundle.flows.values():
        for node in flow.nodes.values():
            if not node.answer:
                continue
            for key in node.say.values():
                for lang in LANGUAGES:
                    entry = shipped_bundle.texts[lang][key]
                    assert entry.source and entry.reviewed, (lang, key)


INSURANCE_QUESTIONS = {
    "ru": "нужен ли полис ДМС",
    "uz": "DMS polis kerakmi",
    "tg": "полиси ДМС лозим аст",
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_insurance_question_reaches_the_health_answer_on_insurance(
    shipped_bundle: Bundle, lang: str
) -> None:
    """Voluntary medical insurance (ДМС) is answered under health, which also says the patent
    needs it: typed, the question opens health, whose first step offers the insurance answer."""
    texts = Texts(shipped_bundle, HotlineSettings())
    engine = Engine(shipped_bundle, texts, shipped_matcher())
    result = engine.handle(engine.new_state(lang=lang), Incoming(text=INSURANCE_QUESTIONS[lang]))
    (message,) = result.messages
    assert message.key == shipped_bundle.flow_start("health")
    label = texts.render(lang, "health.opt_insurance")
    (option,) = [o for o in message.options if o.label == label]
    (answer,) = engine.handle(result.state, Incoming(choice=option.id)).messages
    assert answer.text == texts.render(lang, "health.insurance")
    assert "5" in answer.text  # the five years of insurance record before an OMS policy
