"""The engine's side of a handover: queued, live (a human has it), leaving it, and release."""

from __future__ import annotations

from bot.engine.engine import MENU_CHOICE, Engine
from bot.engine.messages import Incoming, OperatorRequested, ToOperator
from bot.engine.state import State
from tests.engine.test_engine import say


def queued(engine: Engine) -> State:
    state = say(engine, engine.new_state(lang="ru"), "оператор").state
    assert state.handover and not state.live
    return state


def test_a_live_conversation_passes_everything_to_the_operator(mini_engine: Engine) -> None:
    state = queued(mini_engine)
    state.live = True
    for text in ("1", "помощь", "язык", "назад", "оператор", "qwerty"):
        result = say(mini_engine, state, text)
        assert result.messages == [] and result.events == [ToOperator(text)], text
        assert result.state.handover and result.state.live
    sticker = mini_engine.handle(state, Incoming(text=None))
    assert sticker.messages == [] and sticker.events == [ToOperator(None)]


def test_an_old_button_during_a_live_conversation_does_nothing(mini_engine: Engine) -> None:
    state = queued(mini_engine)
    state.live = True
    result = mini_engine.handle(state, Incoming(choice="menu.main:0"))
    assert result.messages == [] and result.events == [] and result.state.live


def test_danger_during_a_live_conversation_marks_it_urgent_silently(
    mini_engine: Engine, monkeypatch: object
) -> None:
    from bot.engine.understanding import Understood
    from tests.engine.test_engine import _Fixed

    state = queued(mini_engine)
    state.live = True
    mini_engine.understanding = _Fixed(Understood(danger=True))
    result = say(mini_engine, state, "they took my passport")
    assert result.messages == []
    assert result.events == [
        OperatorRequested(urgent=True, reason="danger"),
        ToOperator("they took my passport"),
    ]
    assert result.state.urgent


def test_the_menu_word_or_button_ends_a_live_conversation(mini_engine: Engine) -> None:
    state = queued(mini_engine)
    state.live = True
    for result in (
        say(mini_engine, state, "меню"),
        mini_engine.handle(state, Incoming(choice=MENU_CHOICE)),
    ):
        assert not result.state.handover and not result.state.live
        assert "MENU_ru" in result.messages[0].text


def test_leaving_the_queue_by_any_way_withdraws_the_request(mini_engine: Engine) -> None:
    state = queued(mini_engine)
    for way in ("меню", "язык"):
        assert not say(mini_engine, state, way).state.handover, way
    state = say(mini_engine, mini_engine.new_state(lang="ru"), "1", "оператор").state
    assert state.handover
    back = say(mini_engine, state, "назад").state
    assert not back.handover and back.node == "registration.ask_citizenship"


def test_asking_again_while_queued_repeats_the_request(mini_engine: Engine) -> None:
    state = queued(mini_engine)
    result = say(mini_engine, state, "оператор")
    assert result.events == [OperatorRequested(urgent=False, reason="asked")]
    assert result.state.handover


def test_release_clears_the_handover_and_shows_the_menu(mini_engine: Engine) -> None:
    state = queued(mini_engine)
    state.live = state.urgent = True
    result = mini_engine.release(state, "common.help")
    assert not (result.state.handover or result.state.live or result.state.urgent)
    assert result.messages[0].text.startswith("HELP_ru") and "MENU_ru" in result.messages[0].text
    assert result.messages[0].options  # the menu's buttons


def test_an_operator_message_carries_only_a_menu_button(mini_engine: Engine) -> None:
    message = mini_engine.from_operator(mini_engine.new_state(lang="uz"), "Salom")
    assert message.text == "Salom"
    assert [(o.id, o.number) for o in message.options] == [(MENU_CHOICE, -1)]


def test_answers_shown_are_remembered_latest_last(mini_engine: Engine) -> None:
    state = say(mini_engine, mini_engine.new_state(lang="ru"), "1", "1").state
    assert state.answers and state.answers[-1] == state.node
