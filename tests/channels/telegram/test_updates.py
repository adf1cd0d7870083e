"""Telegram updates (recorded payloads in tests/fixtures/telegram/) as neutral Inbound: what each
kind becomes, what is ignored, that a shared phone number goes nowhere, and that nothing a sender
can post makes parsing fail other than with MalformedUpdate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot import LANGUAGES
from bot.channels.telegram import CHANNEL
from bot.channels.telegram.updates import MalformedUpdate, read
from bot.delivery.inbound import BLOCKED, IGNORE, MESSAGE, START, UNBLOCKED, Inbound
from tests.fakes.updates import button_update, load, names, text_update

CHAT = 5120348811
"""The private chat (and user) of text.json, callback_query.json, photo.json, contact.json..."""


def inbound(update: dict[str, Any]) -> Inbound:
    return read(update)


def assert_valid(result: Inbound, update_id: int) -> None:
    """What the intake may rely on, whatever was posted."""
    assert result.channel == CHANNEL
    assert result.external_id == str(update_id)
    assert result.kind in (MESSAGE, START, BLOCKED, UNBLOCKED, IGNORE)
    for name in ("user_id", "address", "text", "choice", "lang", "lang_hint", "source", "ack"):
        value = getattr(result, name)
        assert value is None or isinstance(value, str), (name, value)
    if result.kind != IGNORE:
        assert result.user_id
    if result.kind in (MESSAGE, START):
        assert result.address == result.user_id
    assert result.lang in (None, *LANGUAGES)
    assert result.lang_hint in (None, *LANGUAGES)
    json.dumps(result.body().to_json())


# --- what each kind of update becomes -----------------------------------------------------------


def test_every_fixture_parses_to_a_valid_inbound() -> None:
    assert len(names()) >= 18
    for name in names():
        update = load(name)
        assert_valid(inbound(update), update["update_id"])


def test_text_is_a_message_from_the_chat() -> None:
    result = inbound(text_update(41, 777001, "Патент сколько стоит?", language_code="ru"))
    assert result == Inbound(
        CHANNEL,
        "41",
        user_id="777001",
        address="777001",
        kind=MESSAGE,
        text="Патент сколько стоит?",
        lang_hint="ru",
    )


def test_the_recorded_text_fixture() -> None:
    result = inbound(load("text"))
    assert (result.kind, result.text, result.user_id, result.address) == (
        MESSAGE,
        "Patent qancha turadi?",
        str(CHAT),
        str(CHAT),
    )
    assert result.external_id == "803412001" and result.lang_hint == "uz"


def test_start_with_a_deep_link_carries_language_and_source() -> None:
    result = inbound(load("start_payload"))
    assert (result.kind, result.lang, result.source, result.text) == (START, "uz", "metro", None)
    assert result.user_id == result.address == "6034417290"


def test_start_with_a_payload_in_another_case_and_a_bot_mention() -> None:
    result = inbound(text_update(42, 777001, "/START@helpline_test_bot TG-Bazaar"))
    assert (result.kind, result.lang, result.source) == (START, "tg", "bazaar")


@pytest.mark.parametrize(
    ("language_code", "hint"),
    [("uz", "uz"), ("tg", "tg"), ("ru", "ru"), ("ru-RU", "ru"), ("UZ", "uz"), ("en", None)],
)
def test_plain_start_hints_the_app_language(language_code: str, hint: str | None) -> None:
    result = inbound(load("start_plain", language_code=language_code))
    assert (result.kind, result.lang, result.lang_hint, result.source) == (START, None, hint, None)
    assert result.user_id == "7221903345"


def test_no_language_code_is_no_hint() -> None:
    update = load("start_plain")
    del update["message"]["from"]["language_code"]
    assert inbound(update).lang_hint is None


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("/menu@helpline_test_bot", "/menu"),
        ("/menu", "/menu"),
        ("/Operator", "/operator"),
        ("/help@helpline_test_bot please", "/help"),
    ],
)
def test_a_command_is_its_bare_word(text: str, word: str) -> None:
    result = inbound(load("command_menu", text=text))
    assert (result.kind, result.text) == (MESSAGE, word)


def test_a_button_press_is_a_choice_to_acknowledge() -> None:
    result = inbound(load("callback_query"))
    assert (result.kind, result.choice, result.text) == (MESSAGE, "topic:work_permit", None)
    assert result.ack == "2203849812274551337"
    assert result.user_id == result.address == str(CHAT)
    assert result.lang_hint == "uz"
    pressed = inbound(button_update(43, 777002, "lang:tg", language_code="tg"))
    assert (pressed.choice, pressed.user_id, pressed.lang_hint) == ("lang:tg", "777002", "tg")


def test_a_caption_is_read_as_text() -> None:
    assert inbound(load("photo")).text == "Mening patentim, muddati to'g'rimi?"
    assert inbound(load("document")).text == "Ин шартномаи кории ман аст"


@pytest.mark.parametrize("name", ["photo", "voice", "sticker", "location", "document"])
def test_media_without_a_caption_is_a_message_without_text(name: str) -> None:
    update = load(name)
    update["message"].pop("caption", None)
    result = inbound(update)
    assert (result.kind, result.text, result.choice) == (MESSAGE, None, None)
    assert result.user_id == str(update["message"]["chat"]["id"])


def test_a_shared_contact_is_never_read() -> None:
    update = load("contact")
    phone = update["message"]["contact"]["phone_number"]
    result = inbound(update)
    assert (result.kind, result.text, result.user_id) == (MESSAGE, None, str(CHAT))
    assert phone not in json.dumps(result.body().to_json())
    assert phone not in repr(result)


@pytest.mark.parametrize(
    "name", ["edited_message", "new_chat_members", "left_chat_member", "channel_post", "poll"]
)
def test_what_needs_no_answer_is_ignored(name: str) -> None:
    update = load(name)
    assert inbound(update) == Inbound(CHANNEL, str(update["update_id"]), kind=IGNORE)


def test_members_joining_are_ignored_even_in_a_private_chat() -> None:
    update = load("new_chat_members")
    update["message"]["chat"] = {"id": 6034417290, "first_name": "Jasur", "type": "private"}
    assert inbound(update).kind == IGNORE


@pytest.mark.parametrize(("name", "kind"), [("kicked", BLOCKED), ("member", UNBLOCKED)])
def test_blocking_and_unblocking_the_bot(name: str, kind: str) -> None:
    update = load(f"my_chat_member_{name}")
    assert inbound(update) == Inbound(CHANNEL, str(update["update_id"]), "1987650432", kind=kind)


def test_other_membership_changes_are_ignored() -> None:
    update = load("my_chat_member_member")
    update["my_chat_member"]["new_chat_member"]["status"] = "left"
    assert inbound(update).kind == IGNORE


@pytest.mark.parametrize("chat_type", ["group", "supergroup"])
def test_text_in_a_group_is_ignored(chat_type: str) -> None:
    update = load("text")
    update["message"]["chat"] = {"id": -4012345678, "title": "Мигранты", "type": chat_type}
    assert inbound(update).kind == IGNORE


def test_a_button_in_a_group_is_ignored() -> None:
    update = load("callback_query")
    update["callback_query"]["message"]["chat"] = {"id": -400, "title": "g", "type": "group"}
    assert inbound(update).kind == IGNORE


# --- malformed input ----------------------------------------------------------------------------


def _message(**fields: Any) -> dict[str, Any]:
    message = load("text")["message"]
    for key, value in fields.items():
        if value is _DROP:
            del message[key]
        else:
            message[key] = value
    return {"update_id": 9, "message": message}


_DROP = object()


def _without(name: str, field: str) -> dict[str, Any]:
    update = load(name)
    del update[name][field]
    return update


@pytest.mark.parametrize(
    "data",
    [
        pytest.param([], id="list"),
        pytest.param([load("text")], id="list of updates"),
        pytest.param("update", id="string"),
        pytest.param(None, id="null"),
        pytest.param({"message": load("text")["message"]}, id="no update_id"),
        pytest.param({**load("text"), "update_id": "803412001"}, id="update_id string"),
        pytest.param({**load("text"), "update_id": 1.5}, id="update_id float"),
        pytest.param({"update_id": 9, "message": "hello"}, id="message string"),
        pytest.param({"update_id": 9, "message": []}, id="message list"),
        pytest.param(_message(date="yesterday"), id="date string"),
        pytest.param(_message(date=_DROP), id="no date"),
        pytest.param(_message(chat="private"), id="chat string"),
        pytest.param(_message(**{"from": "Dilshod"}), id="from string"),
        pytest.param(_message(entities="bold"), id="entities string"),
        pytest.param({"update_id": 9, "callback_query": {}}, id="empty callback_query"),
        pytest.param(
            _message(date=10**20),
            id="date out of range",
        ),
        pytest.param(
            _message(chat=_DROP),
            id="no chat",
        ),
        pytest.param(
            _message(text=5),
            id="text number",
        ),
        pytest.param(
            _message(text=None, caption=["a"]),
            id="caption list",
        ),
        pytest.param(
            _message(**{"from": {**load("text")["message"]["from"], "language_code": 7}}),
            id="language_code number",
        ),
        pytest.param(
            _without("callback_query", "from"),
            id="button without from",
        ),
        pytest.param(
            {"update_id": 9, "my_chat_member": {}},
            id="empty my_chat_member",
        ),
    ],
)
def test_malformed_input_raises_only_malformed_update(data: Any) -> None:
    with pytest.raises(MalformedUpdate):
        inbound(data)


def test_button_data_of_a_wrong_type_is_not_passed_on() -> None:
    update = load("callback_query")
    update["callback_query"]["data"] = 5
    try:
        result = inbound(update)
    except MalformedUpdate:
        return
    assert_valid(result, update["update_id"])


# --- any input ----------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=6,
)


def _slots(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON value a field can be replaced or removed, but the update_id."""
    children = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in children:
        if path or key != "update_id":
            yield (*path, key)
        if isinstance(value, dict | list):
            yield from _slots(value, (*path, key))


@st.composite
def damaged_updates(draw: st.DrawFn) -> dict[str, Any]:
    """A recorded update with a few fields replaced by any JSON value, or removed."""
    update = load(draw(st.sampled_from(names())))
    for _ in range(draw(st.integers(1, 3))):
        slots = list(_slots(update))
        if not slots:
            break
        path = draw(st.sampled_from(slots))
        parent = update
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return update


any_updates = st.one_of(
    damaged_updates(),
    st.dictionaries(
        st.sampled_from(["message", "edited_message", "callback_query", "my_chat_member", "x"]),
        json_values,
        max_size=2,
    ).flatmap(lambda rest: st.integers().map(lambda uid: {**rest, "update_id": uid})),
)


@settings(max_examples=200, deadline=None)
@given(update=any_updates)
@example(update=_message(text=5))
def test_any_input_gives_malformed_update_or_a_valid_inbound(update: dict[str, Any]) -> None:
    try:
        result = inbound(update)
    except MalformedUpdate:
        return
    assert_valid(result, update["update_id"])


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(min_size=1, max_size=60),
    chat_id=st.integers(1, 2**52),
    language_code=st.text(max_size=6),
)
def test_any_text_in_a_private_chat_is_a_message_or_a_start(
    text: str, chat_id: int, language_code: str
) -> None:
    result = inbound(text_update(7, chat_id, text, language_code=language_code))
    assert_valid(result, 7)
    assert result.user_id == result.address == str(chat_id)
    first = text.split(maxsplit=1)[0].split("@", 1)[0].lower() if text.strip() else ""
    if first == "/start":
        assert result.kind == START and result.text is None
    elif text.startswith("/"):
        assert (result.kind, result.text) == (MESSAGE, first)
    else:
        assert (result.kind, result.text) == (MESSAGE, text)
