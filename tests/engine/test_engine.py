"""The pure engine on a tiny content root: every path of the conversation logic."""

from __future__ import annotations

from bot.engine.engine import MENU_CHOICE, Engine, Result
from bot.engine.messages import (
    ForgetRequested,
    Incoming,
    LanguageChosen,
    NotUnderstood,
    OperatorRequested,
    ToOperator,
    TopicReached,
)
from bot.engine.state import LANGUAGE_NODE, State
from bot.engine.understanding import Guess, Understood


def say(engine: Engine, state: State, *texts: str) -> Result:
    result = Result(state)
    for text in texts:
        result = engine.handle(result.state, Incoming(text=text))
    return result


def test_first_contact_asks_language_in_every_language(mini_engine: Engine) -> None:
    result = mini_engine.handle(mini_engine.new_state(), Incoming(text="hello"))
    (message,) = result.messages
    assert message.text.splitlines() == ["PROMPT_ru", "PROMPT_uz", "PROMPT_tg"]
    assert [o.label for o in message.options] == ["NAME_ru", "NAME_uz", "NAME_tg"]
    assert result.state.node == LANGUAGE_NODE and result.state.lang is None


def test_language_by_number_name_or_button(mini_engine: Engine) -> None:
    for incoming in (Incoming(text="2"), Incoming(text="name_uz"), Incoming(choice="lang:uz")):
        result = mini_engine.handle(mini_engine.new_state(), incoming)
        assert result.state.lang == "uz"
        assert result.events == [LanguageChosen("uz")]
        assert result.messages[0].text.startswith("WELCOME_uz")
        assert "MENU_uz" in result.messages[0].text


def test_option_by_number_and_by_label_case_insensitive(mini_engine: Engine) -> None:
    start = mini_engine.new_state(lang="ru")
    by_number = say(mini_engine, start, "1")
    by_label = say(mini_engine, start, "  t_REGISTRATION_ru ")
    assert by_number.state.node == by_label.state.node == "registration.ask_citizenship"
    assert by_number.messages[0].text == "ASK_ru"


def test_variable_chooses_the_text(mini_engine: Engine) -> None:
    start = mini_engine.new_state(lang="ru")
    uz = say(mini_engine, start, "1", "1")
    other = say(mini_engine, start, "1", "2")
    assert uz.messages[0].text == "D15_ru costs 10\xa0000\xa0₽"
    assert other.messages[0].text.startswith("D7_ru")
    assert uz.state.vars == {"citizenship": "UZ"}


def test_answer_carries_topic_and_event(mini_engine: Engine) -> None:
    result = say(mini_engine, mini_engine.new_state(lang="uz"), "1", "1")
    assert result.messages[0].topic == "registration"
    assert result.events == [TopicReached("registration")]
    assert result.state.topics == ["registration"]
    assert "10\xa0000\xa0RUB" in result.messages[0].text  # money formatted for Uzbek


def test_navigation_buttons_are_added(mini_engine: Engine) -> None:
    result = say(mini_engine, mini_engine.new_state(lang="ru"), "1")
    labels = [(o.number, o.label) for o in result.messages[0].options]
    assert labels == [
        (1, "UZ_ru"),
        (2, "OTHER_ru"),
        (3, "DESCRIBE_ru"),
        (4, "BACK_ru"),
        (5, "TOMENU_ru"),
        (0, "OPERATOR_ru"),
    ]


def test_back_and_menu_commands_work_in_any_language(mini_engine: Engine) -> None:
    deep = say(mini_engine, mini_engine.new_state(lang="tg"), "1", "1")
    assert say(mini_engine, deep.state, "orqaga").state.node == "registration.ask_citizenship"
    assert say(mini_engine, deep.state, "МЕНЮ").state.node == "menu.main"
    assert say(mini_engine, deep.state, "менюи асосӣ").messages[0].text == "MENU_tg"


def test_operator_by_command_number_and_word(mini_engine: Engine) -> None:
    start = mini_engine.new_state(lang="ru")
    for text in ("оператор", "0", "Operator"):
        result = say(mini_engine, start, text)
        assert result.events == [OperatorRequested(urgent=False, reason="asked")]
        assert result.messages[0].escalate is True
        assert result.state.handover is True


def test_free_text_after_handover_goes_to_the_human(mini_engine: Engine) -> None:
    result = say(mini_engine, mini_engine.new_state(lang="ru"), "оператор", "мне не платят")
    assert result.events == [ToOperator("мне не платят")]
    assert [m.text for m in result.messages] == ["NOTED_ru"]  # once: see test_handover.py


def test_ask_node_keeps_free_text_then_branches(mini_engine: Engine) -> None:
    result = say(mini_engine, mini_engine.new_state(lang="ru"), "1", "3", "my story")
    assert result.state.vars["story"] == "my story"
    assert result.messages[0].text == "THANKS_ru"  # branch by citizenship: unset -> default


def test_language_change_keeps_the_conversation(mini_engine: Engine) -> None:
    result = say(mini_engine, mini_engine.new_state(lang="ru"), "язык", "3")
    assert result.state.lang == "tg"
    assert "MENU_tg" in result.messages[0].text


def test_help_shows_help_with_current_options(mini_engine: Engine) -> None:
    result = say(mini_engine, mini_engine.new_state(lang="uz"), "1", "yordam")
    assert result.messages[0].text == "HELP_uz"
    assert result.messages[0].options[0].label == "UZ_uz"


def test_not_understood_twice_offers_a_human(mini_engine: Engine) -> None:
    first = say(mini_engine, mini_engine.new_state(lang="ru"), "qwerty")
    assert first.messages[0].text == "NU1_ru" and first.events == [NotUnderstood(1)]
    second = say(mini_engine, first.state, "asdfgh")
    assert second.events == [NotUnderstood(2)]  # offered, not queued: see test_handover.py
    assert not second.state.handover and second.state.misses == 0
    assert second.messages[0].text == "NU2_ru"
    assert "nav:operator" in [o.id for o in second.messages[0].options]


def test_non_text_gets_a_polite_answer_in_the_users_language(mini_engine: Engine) -> None:
    result = mini_engine.handle(mini_engine.new_state(lang="tg"), Incoming(text=None))
    assert result.messages[0].text == "UNSUPPORTED_tg"


def test_very_long_and_odd_text_is_handled(mini_engine: Engine) -> None:
    for text in ("ж" * 10_000, "🙂🙂🙂", "\x00\x07", "مرحبا"):
        result = say(mini_engine, mini_engine.new_state(lang="ru"), text)
        assert result.messages[0].text == "NU1_ru"


def test_forget_resets_state_and_asks_storage_to_delete(mini_engine: Engine) -> None:
    deep = say(mini_engine, mini_engine.new_state(lang="uz"), "1", "1")
    result = say(mini_engine, deep.state, "meni unut")
    assert result.events == [ForgetRequested()]
    assert result.state == State()
    assert result.messages[0].text == "FORGOTTEN_uz"


def test_stale_button_from_an_older_message_still_works(mini_engine: Engine) -> None:
    at_menu = mini_engine.new_state(lang="ru")
    result = mini_engine.handle(at_menu, Incoming(choice="registration.ask_citizenship:0"))
    assert result.state.node == "registration.deadline"
    assert result.state.vars == {"citizenship": "UZ"}


def test_an_older_menu_button_at_the_language_question_goes_to_the_menu(
    mini_engine: Engine,
) -> None:
    # found by the property test: "язык", then the menu button of an earlier message; the
    # language question shows only languages, and the button showed it again
    asked = say(mini_engine, mini_engine.new_state(lang="ru"), "язык")
    assert asked.state.node == LANGUAGE_NODE
    result = mini_engine.handle(asked.state, Incoming(choice=MENU_CHOICE))
    assert result.state.node == mini_engine.bundle.menu_ref
    assert result.state.lang == "ru"


def test_a_node_removed_by_an_edit_returns_to_the_menu(mini_engine: Engine) -> None:
    state = State(lang="ru", node="registration.gone", history=["menu.main"])
    result = mini_engine.handle(state, Incoming(text="something"))
    assert result.state.node == "menu.main"


class _Fixed:
    def __init__(self, understood: Understood) -> None:
        self.understood = understood

    def understand(self, text: str, lang: str) -> Understood:
        return self.understood

    def match_option(self, text: str, labels: object, lang: str) -> None:
        return None


def test_understanding_seam_confident_weak_and_danger(mini_engine: Engine) -> None:
    state = mini_engine.new_state(lang="ru")
    mini_engine.understanding = _Fixed(Understood(best=Guess("registration", 0.9)))
    assert say(mini_engine, state, "регистрация").state.node == "registration.ask_citizenship"
    mini_engine.understanding = _Fixed(Understood(candidates=(Guess("registration", 0.4),)))
    weak = say(mini_engine, state, "something")
    assert weak.messages[0].text == "SUGGEST_ru"
    assert weak.messages[0].options[0].label == "T_registration_ru"
    assert say(mini_engine, weak.state, "1").state.node == "registration.ask_citizenship"
    mini_engine.understanding = _Fixed(Understood(danger=True))
    urgent = say(mini_engine, state, "they took my passport")
    assert urgent.events == [
        OperatorRequested(urgent=True, reason="danger"),
        ToOperator("they took my passport"),
    ]
    assert urgent.messages[0].text == "URGENT_ru 112"
    assert urgent.state.urgent is True
