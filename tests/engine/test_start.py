"""Engine.start, Telegram's /start: a deep-link language, the app's language as a preselection
with the others one tap away, the language question, or the menu for someone already talking;
and a language button from an old greeting, pressed at any later point."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot import LANGUAGES
from bot.channels.rendering import render_plain, render_sms
from bot.engine.engine import Engine, Result
from bot.engine.messages import Incoming, LanguageChosen, OptionOut
from bot.engine.state import LANGUAGE_NODE, SUGGEST_NODE, State

MENU = "menu.main"


def menu_options(lang: str) -> list[OptionOut]:
    return [
        OptionOut("menu.main:0", f"T_registration_{lang}", 1),
        OptionOut("nav:operator", f"OPERATOR_{lang}", 0),
    ]


def assert_welcomed(result: Result, lang: str) -> None:
    """The welcome and the main menu in `lang`, in one message, the language chosen."""
    (message,) = result.messages
    assert message.text == f"WELCOME_{lang}\n\nMENU_{lang}"
    assert message.sms_text == f"WELCOME_{lang}\nMENU_{lang}"
    assert result.events == [LanguageChosen(lang)]
    assert (result.state.lang, result.state.node, result.state.history) == (lang, MENU, [])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_deep_link_language_welcomes_a_new_user_in_it(mini_engine: Engine, lang: str) -> None:
    result = mini_engine.start(State(), lang=lang)
    assert_welcomed(result, lang)
    assert list(result.messages[0].options) == menu_options(lang)


def test_a_deep_link_language_wins_over_the_app_language(mini_engine: Engine) -> None:
    result = mini_engine.start(State(), lang="tg", lang_hint="ru")
    assert_welcomed(result, "tg")
    assert list(result.messages[0].options) == menu_options("tg")  # no other languages offered


@pytest.mark.parametrize("hint", LANGUAGES)
def test_the_app_language_is_preselected_and_the_others_offered(
    mini_engine: Engine, hint: str
) -> None:
    result = mini_engine.start(State(), lang_hint=hint)
    assert_welcomed(result, hint)
    others = [code for code in LANGUAGES if code != hint]
    assert list(result.messages[0].options) == [
        *menu_options(hint),
        *(OptionOut(f"lang:{code}", f"NAME_{code}", -1) for code in others),
    ]


def test_offered_languages_are_buttons_only_never_typed_choices(mini_engine: Engine) -> None:
    result = mini_engine.start(State(), lang_hint="uz")
    (message,) = result.messages
    assert render_plain(message) == "WELCOME_uz\n\nMENU_uz\n1. T_registration_uz\n0. OPERATOR_uz"
    sms = render_sms(message)
    assert "NAME_ru" not in sms and "NAME_tg" not in sms and "-1" not in sms
    # typed numbers mean what the menu lists: "1" is still the first topic
    typed = mini_engine.handle(result.state, Incoming(text="1"))
    assert typed.state.node == "registration.ask_citizenship"


@pytest.mark.parametrize("other", ["ru", "tg"])
def test_an_offered_language_switches_at_once(mini_engine: Engine, other: str) -> None:
    greeted = mini_engine.start(State(), lang_hint="uz")
    pressed = mini_engine.handle(greeted.state, Incoming(choice=f"lang:{other}"))
    assert_welcomed(pressed, other)


@pytest.mark.parametrize(
    ("lang", "hint"), [(None, None), (None, "en"), ("en", None), ("", ""), ("UZ", None)]
)
def test_without_a_language_the_question_is_asked(
    mini_engine: Engine, lang: str | None, hint: str | None
) -> None:
    result = mini_engine.start(State(), lang=lang, lang_hint=hint)
    (message,) = result.messages
    assert message.text == "PROMPT_ru\nPROMPT_uz\nPROMPT_tg"
    assert list(message.options) == [
        OptionOut(f"lang:{code}", f"NAME_{code}", number)
        for number, code in enumerate(LANGUAGES, start=1)
    ]
    assert result.events == []
    assert (result.state.lang, result.state.node) == (None, LANGUAGE_NODE)
    answered = mini_engine.handle(result.state, Incoming(text="3"))
    assert_welcomed(answered, "tg")


DEEP = State(
    lang="tg",
    node="registration.deadline",
    vars={"citizenship": "UZ"},
    history=[MENU, "registration.ask_citizenship"],
    topics=["registration"],
)


@pytest.mark.parametrize("hint", [None, "ru", "uz", "tg"])
def test_someone_already_talking_gets_the_main_menu(mini_engine: Engine, hint: str | None) -> None:
    result = mini_engine.start(DEEP, lang_hint=hint)
    (message,) = result.messages
    assert message.text == "MENU_tg"
    assert list(message.options) == menu_options("tg")
    assert result.events == []
    assert (result.state.lang, result.state.node, result.state.history) == ("tg", MENU, [])
    assert DEEP.node == "registration.deadline"  # the state given is left as it was


def test_a_restart_during_a_handover_keeps_it(mini_engine: Engine) -> None:
    waiting = State(lang="ru", node="operator.urgent", handover=True, urgent=True)
    result = mini_engine.start(waiting)
    assert result.messages[0].text == "STILL_ru"
    assert result.state.node == "operator.urgent"
    assert result.state.handover and result.state.urgent


def test_a_deep_link_language_switches_someone_already_talking(mini_engine: Engine) -> None:
    result = mini_engine.start(DEEP, lang="uz", lang_hint="ru")
    assert_welcomed(result, "uz")
    assert result.state.topics == ["registration"]


LATER = {
    "at the menu": State(lang="ru", node=MENU),
    "deep in a flow": State(lang="ru", node="registration.deadline", history=[MENU]),
    "asked to describe": State(lang="uz", node="registration.describe", history=[MENU]),
    "waiting for an operator": State(lang="ru", node="operator.request", handover=True),
    "at suggestions": State(lang="uz", node=SUGGEST_NODE, suggestions=["registration"]),
    "asked the language": State(lang="ru", node=LANGUAGE_NODE),
    "after forgetting": State(),
    "already in Tajik": State(lang="tg", node="registration.ask_citizenship", history=[MENU]),
}


@pytest.mark.parametrize("state", LATER.values(), ids=LATER.keys())
def test_an_old_tajik_button_switches_to_tajik_at_any_point(
    mini_engine: Engine, state: State
) -> None:
    result = mini_engine.handle(state, Incoming(choice="lang:tg"))
    if state.handover:  # a choice of the user's: the request is withdrawn, and they are told
        (message,) = result.messages
        assert message.text.startswith("WITHDRAWN_tg\n\n")
        assert message.sms_text is not None
        text, sms = message.text.split("\n\n", 1)[1], message.sms_text.split("\n", 1)[1]
        result.messages[0] = replace(message, text=text, sms_text=sms)
    assert_welcomed(result, "tg")


def test_an_old_greeting_button_after_a_walk_through_a_flow(mini_engine: Engine) -> None:
    greeted = mini_engine.start(State(), lang_hint="ru")
    state = greeted.state
    for typed in ("1", "1"):  # registration, then an answer in Russian
        state = mini_engine.handle(state, Incoming(text=typed)).state
    assert (state.lang, state.node) == ("ru", "registration.deadline")
    old_button = next(o for o in greeted.messages[0].options if o.id == "lang:tg")
    result = mini_engine.handle(state, Incoming(choice=old_button.id))
    assert_welcomed(result, "tg")
    assert result.state.vars == {"citizenship": "UZ"}  # what was said stays known
