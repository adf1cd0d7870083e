"""The buttons a user can press at any point, and what each does.

One function builds them for the current state; the same list renders the message and reads the
reply, so a number typed in SMS always means what the user saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot import DEFAULT_LANGUAGE, LANGUAGES
from bot.engine.acts import Act
from bot.engine.commands import variants
from bot.engine.messages import OptionOut
from bot.engine.model import MENU_FLOW, OPERATOR_FLOW, Bundle
from bot.engine.state import LANGUAGE_NODE, SUGGEST_NODE, State
from bot.engine.texts import Texts

OPERATOR_NUMBER = 0


@dataclass(frozen=True)
class Action:
    kind: Act
    target: str | None = None
    sets: dict[str, str] = field(default_factory=dict)
    record: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OptionSet:
    pairs: tuple[tuple[OptionOut, Action], ...] = ()

    @property
    def options(self) -> tuple[OptionOut, ...]:
        return tuple(option for option, _ in self.pairs)

    def by_number_or_label(self, text: str) -> Action | None:
        typed = text.strip().rstrip(".)")
        if typed.isdecimal():  # not isdigit(): "¹" is a digit that int() refuses
            for option, action in self.pairs:
                if option.number == int(typed):
                    return action
            return None
        forms = variants(text)
        for option, action in self.pairs:
            if forms & variants(option.label):
                return action
            if option.sms_label and forms & variants(option.sms_label):
                return action
        return None


def node_options(bundle: Bundle, texts: Texts, st: State) -> OptionSet:
    lang = st.lang or DEFAULT_LANGUAGE
    pairs: list[tuple[OptionOut, Action]] = []

    def add(option_id: str, label_key: str, action: Action) -> None:
        label = texts.render(lang, label_key)
        short = texts.render(lang, label_key, sms=True)
        option = OptionOut(option_id, label, len(pairs) + 1, short if short != label else None)
        pairs.append((option, action))

    if st.node == LANGUAGE_NODE or st.lang is None:
        for code in LANGUAGES:
            label = texts.render(code, "common.language.name")
            pairs.append((OptionOut(f"lang:{code}", label, len(pairs) + 1), Action(Act.LANG, code)))
        return OptionSet(tuple(pairs))
    flow = MENU_FLOW
    if st.node == SUGGEST_NODE:
        for topic in st.suggestions:
            add(f"topic:{topic}", f"common.topic.{topic}", Action(Act.TOPIC, topic))
    else:
        node = bundle.node(st.node or bundle.menu_ref)
        if node is not None:
            flow = node.flow
            for index, option in enumerate(node.options):
                action = Action(Act.GOTO, option.next, dict(option.set), dict(option.record))
                add(f"{node.ref}:{index}", option.label, action)
    if flow != MENU_FLOW or st.node == SUGGEST_NODE:
        if st.history and st.node != SUGGEST_NODE:
            add("nav:back", "common.nav.back", Action(Act.BACK))
        add("nav:menu", "common.nav.menu", Action(Act.MENU))
    if flow != OPERATOR_FLOW:
        label = texts.render(lang, "common.nav.operator")
        short = texts.render(lang, "common.nav.operator", sms=True)
        operator = OptionOut(
            "nav:operator", label, OPERATOR_NUMBER, short if short != label else None
        )
        pairs.append((operator, Action(Act.OPERATOR)))
    return OptionSet(tuple(pairs))
