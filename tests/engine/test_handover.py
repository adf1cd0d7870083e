"""The engine's side of a handover: queued, live (a human has it), leaving it, and release."""

from __future__ import annotations

from bot.engine.engine import MENU_CHOICE, Engine
from bot.engine.messages import HandoverResumed, Incoming, OperatorRequested, ToOperator
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


# --- coming back while queued (finding 11) ---------------------------------------------------


def test_coming_back_while_queued_keeps_the_request_and_says_so(mini_engine: Engine) -> None:
    state = queued(mini_engine)
    for result in (
        mini_engine.start(state),  # Telegram /start, a reopened web page, SMS START
        mini_engine.start(state, lang_hint="uz"),
        mini_engine.start(state, lang="ru"),  # a poster's link in the same language
    ):
        assert result.state.handover and not result.state.live
        (message,) = result.messages
        assert message.text.startswith("STILL_ru") and "MENU_ru" not in message.text
        assert MENU_CHOICE in [o.id for o in message.options]  # the way out stays
        assert HandoverResumed() in result.events
        assert not any(isinstance(e, OperatorRequested) for e in result.events)


def test_coming_back_by_a_link_in_another_language_keeps_the_request(mini_engine: Engine) -> None:
    result = mini_engine.start(queued(mini_engine), lang="uz")
    assert result.state.handover and result.state.lang == "uz"
    assert result.messages[-1].text.startswith("STILL_uz")


def test_coming_back_while_an_operator_has_it_says_they_are_there(mini_engine: Engine) -> None:
    state = queued(mini_engine)
    state.live = True
    result = mini_engine.start(state)
    assert result.state.handover and result.state.live
    assert result.messages[0].text == "TAKEN_ru"
    assert [o.id for o in result.messages[0].options] == [MENU_CHOICE]


def test_an_explicit_way_out_withdraws_the_request_and_says_so(mini_engine: Engine) -> None:
    state = queued(mini_engine)
    for result in (
        say(mini_engine, state, "меню"),
        mini_engine.handle(state, Incoming(choice=MENU_CHOICE)),
        say(mini_engine, state, "забудь меня"),
    ):
        assert not result.state.handover
        assert result.messages[0].text.startswith("WITHDRAWN_ru")
    live = queued(mini_engine)
    live.live = True
    assert say(mini_engine, live, "меню").messages[0].text.startswith("WITHDRAWN_ru")


def test_the_menu_without_a_request_says_nothing_about_one(mini_engine: Engine) -> None:
    result = say(mini_engine, mini_engine.new_state(lang="ru"), "1", "меню")
    assert "WITHDRAWN" not in result.messages[0].text


# --- typing while queued (finding 12) ---------------------------------------------------------


def test_the_first_message_while_queued_is_acknowledged_once(mini_engine: Engine) -> None:
    state = queued(mini_engine)
    first = say(mini_engine, state, "потерял паспорт")
    (ack,) = first.messages
    assert ack.text == "NOTED_ru"
    assert MENU_CHOICE in [o.id for o in ack.options]  # a way back to the menu, still
    assert first.events == [ToOperator("потерял паспорт")]
    second = say(mini_engine, first.state, "в Москве")
    assert second.messages == [] and second.events == [ToOperator("в Москве")]
    assert second.state.handover
    again = say(mini_engine, say(mini_engine, second.state, "меню").state, "оператор", "ещё")
    assert [m.text for m in again.messages] == ["NOTED_ru"]  # a new request: told again


# --- operator's words marked (finding 13) -----------------------------------------------------


def test_an_operators_message_is_signed_in_the_users_language(mini_engine: Engine) -> None:
    for lang in ("ru", "uz", "tg"):
        state = mini_engine.new_state(lang=lang)
        plain = mini_engine.from_operator(state, "Salom")
        assert (plain.author, plain.signature) == ("operator", f"OPFROM_{lang}")
        assert plain.sms_text == f"OPFROM_{lang}: Salom"
        named = mini_engine.from_operator(state, "Salom", name="Aziza")
        assert named.signature == f"OPFROM_{lang} Aziza"
        assert named.sms_text == f"OPFROM_{lang} Aziza: Salom"


# --- two unclear messages (finding 14) --------------------------------------------------------


def test_two_unclear_messages_offer_an_operator_without_queueing(mini_engine: Engine) -> None:
    result = say(mini_engine, mini_engine.new_state(lang="ru"), "потерял паспорт", "привет")
    assert not result.state.handover
    assert not any(isinstance(e, OperatorRequested | ToOperator) for e in result.events)
    (offer,) = result.messages
    assert offer.text.startswith("NU2_ru")
    ids = [o.id for o in offer.options]
    assert "nav:operator" in ids and any(i.startswith("menu.main:") for i in ids)
    chosen = mini_engine.handle(result.state, Incoming(choice="nav:operator"))
    assert chosen.state.handover
    assert OperatorRequested(urgent=False, reason="asked") in chosen.events
    typed = say(mini_engine, result.state, "0")  # SMS: 0 is always the operator
    assert typed.state.handover
