"""Telegram rendering: HTML-escaped pieces under 4096 UTF-16 units, cut where a reader expects,
nothing lost, and the inline keyboard (on the last piece only) within Telegram's 64-byte rule;
also every message the shipped content can send, in every language."""

from __future__ import annotations

import html
import logging
from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import LANGUAGES
from bot.channels.telegram.render import (
    CALLBACK_LIMIT,
    TEXT_LIMIT,
    Piece,
    keyboard,
    render,
    split_text,
    utf16_len,
)
from bot.content import build_engine
from bot.engine.engine import Engine
from bot.engine.loader import load_or_raise
from bot.engine.messages import Incoming, OptionOut, Outgoing
from bot.engine.state import State
from bot.settings import Settings
from tests.conftest import ROOT


def unescaped(pieces: list[str]) -> list[str]:
    return [html.unescape(piece) for piece in pieces]


def squeezed(text: str) -> str:
    """The text without any whitespace: what must survive splitting, in order."""
    return "".join(text.split())


def paragraph(word: str, count: int) -> str:
    return " ".join([word] * count)


# --- split_text ---------------------------------------------------------------------------------


def test_a_short_text_is_one_escaped_piece() -> None:
    assert split_text("  Патент <5 000 ₽> & налог\n") == ["Патент &lt;5 000 ₽&gt; &amp; налог"]


def test_an_empty_text_is_one_empty_piece() -> None:
    assert split_text("") == [""]
    assert split_text(" \n\n ") == [""]


def test_a_text_of_exactly_the_limit_is_not_cut() -> None:
    text = "ж" * TEXT_LIMIT
    assert split_text(text) == [text]
    assert len(split_text(text + "ж")) == 2


def test_cuts_at_a_paragraph_before_a_line_or_a_space() -> None:
    # the paragraph break sits past the middle of what fits, with lines and spaces after it
    first = paragraph("alpha", 500)  # 2999 units
    second = "\n".join(paragraph("beta", 100) for _ in range(5))  # 2499 units
    pieces = split_text(f"{first}\n\n{second}")
    assert pieces == [first, second]


def test_cuts_at_a_line_when_no_paragraph_break_fits() -> None:
    lines = [paragraph("line", 120) for _ in range(10)]  # 599 units each
    pieces = split_text("\n".join(lines))
    assert len(pieces) == 2
    assert pieces[0] == "\n".join(lines[:6])  # 6 * 599 + 5 = 3599 units; 7 lines would not fit
    assert pieces[1] == "\n".join(lines[6:])


def test_cuts_at_a_space_when_there_is_no_line_break() -> None:
    words = [f"w{i:04d}" for i in range(1500)]  # 5 characters each, 8999 units with spaces
    pieces = split_text(" ".join(words))
    assert len(pieces) == 3
    assert all(utf16_len(piece) <= TEXT_LIMIT for piece in pieces)
    assert [piece.split() for piece in pieces] == [words[:682], words[682:1364], words[1364:]]


def test_cuts_hard_when_there_is_no_space() -> None:
    text = "ы" * 10_000
    pieces = split_text(text)
    assert [len(piece) for piece in pieces] == [TEXT_LIMIT, TEXT_LIMIT, 10_000 - 2 * TEXT_LIMIT]


def test_a_long_text_loses_nothing_and_keeps_the_order() -> None:
    paragraphs = [
        "\n".join(f"{p}.{line} " + paragraph(f"слово{p}_{line}", 20) for line in range(8))
        for p in range(40)
    ]
    text = "\n\n".join(paragraphs)
    pieces = split_text(text)
    assert len(pieces) > 3
    assert all(utf16_len(piece) <= TEXT_LIMIT for piece in pieces)
    assert [word for piece in unescaped(pieces) for word in piece.split()] == text.split()


def test_escaping_is_counted_before_cutting() -> None:
    pieces = split_text("&" * 4000)  # 20 000 units once escaped
    assert len(pieces) == 5
    assert all(utf16_len(piece) <= TEXT_LIMIT for piece in pieces)
    assert "".join(unescaped(pieces)) == "&" * 4000


def test_angle_brackets_and_ampersands_cannot_open_markup() -> None:
    text = "<b>bold</b> & <a href='x'>link</a> " * 300
    pieces = split_text(text)
    assert len(pieces) > 1
    for piece in pieces:
        assert "<" not in piece and ">" not in piece
        assert utf16_len(piece) <= TEXT_LIMIT
        assert piece.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "").count("&") == 0
    assert squeezed("".join(unescaped(pieces))) == squeezed(text)


def test_emoji_count_as_two_units() -> None:
    assert utf16_len("🙂") == 2 and utf16_len("ж") == 1 and utf16_len("🇺🇿") == 4
    pieces = split_text("🙂" * 3000)  # 6000 units in 3000 characters
    assert [len(piece) for piece in pieces] == [2048, 952]
    assert all(utf16_len(piece) <= TEXT_LIMIT for piece in pieces)


def test_an_emoji_just_over_the_limit_moves_to_the_next_piece() -> None:
    text = "ж" * (TEXT_LIMIT - 1) + "🙂"  # 4097 units: the emoji does not fit in the first
    assert split_text(text) == ["ж" * (TEXT_LIMIT - 1), "🙂"]


piece_alphabet = st.sampled_from(list("ab ж&<>\n\n😀\xa0"))


@settings(max_examples=300, deadline=None)
@given(text=st.text(piece_alphabet, max_size=400), limit=st.integers(min_value=6, max_value=80))
def test_any_text_fits_and_loses_nothing(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    assert all(utf16_len(piece) <= limit for piece in pieces)
    plain = unescaped(pieces)
    assert squeezed("".join(plain)) == squeezed(text)
    if text.strip():
        assert all(piece and piece == piece.strip() for piece in plain)


# --- keyboard and render ------------------------------------------------------------------------


MENU_OPTIONS = (
    OptionOut("registration.ask:0", "Узбекистан", 1),
    OptionOut("lang:uz", "O'zbekcha", -1),
    OptionOut("nav:back", "Назад", 2),
    OptionOut("registration.ask:1", "Другая страна", 3),
    OptionOut("lang:tg", "Тоҷикӣ", -1),
    OptionOut("nav:menu", "Меню", 4),
    OptionOut("nav:operator", "Оператор", 0),
)


def test_keyboard_one_row_per_choice_then_languages_then_navigation() -> None:
    assert keyboard(MENU_OPTIONS) == (
        (("Узбекистан", "registration.ask:0"),),
        (("Другая страна", "registration.ask:1"),),
        (("O'zbekcha", "lang:uz"), ("Тоҷикӣ", "lang:tg")),
        (("Назад", "nav:back"), ("Меню", "nav:menu"), ("Оператор", "nav:operator")),
    )


def test_keyboard_without_languages_or_navigation_has_no_empty_rows() -> None:
    only_choices = (OptionOut("a:0", "A", 1), OptionOut("a:1", "B", 2))
    assert keyboard(only_choices) == ((("A", "a:0"),), (("B", "a:1"),))
    assert keyboard(()) == ()


def test_keyboard_labels_are_left_as_written() -> None:
    # button labels are plain text for Telegram: escaping them would show "&amp;" to the user
    assert keyboard((OptionOut("x:0", "Work & <pay>", 1),)) == ((("Work & <pay>", "x:0"),),)


@pytest.mark.parametrize(
    "bad_id",
    ["x" * (CALLBACK_LIMIT + 1), "тема:0", "topic:é", "n" * 60 + "🙂"],
    ids=["65 bytes", "cyrillic", "accent", "emoji"],
)
def test_an_id_telegram_cannot_carry_is_dropped_and_logged(
    bad_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    options = (OptionOut(bad_id, "Bad", 1), OptionOut("ok:0", "Good", 2))
    with caplog.at_level(logging.ERROR, logger="bot.channels.telegram.render"):
        rows = keyboard(options)
    assert rows == ((("Good", "ok:0"),),)
    assert [r.levelno for r in caplog.records] == [logging.ERROR]
    assert repr(bad_id) in caplog.records[0].getMessage()


def test_an_id_of_exactly_64_ascii_bytes_is_kept(caplog: pytest.LogCaptureFixture) -> None:
    longest = "x" * CALLBACK_LIMIT
    with caplog.at_level(logging.ERROR):
        assert keyboard((OptionOut(longest, "Long", 1),)) == ((("Long", longest),),)
    assert caplog.records == []


def test_render_puts_the_keyboard_only_on_the_last_piece() -> None:
    text = "\n\n".join(paragraph(f"абзац{i}", 300) for i in range(6))
    pieces = render(Outgoing(text, MENU_OPTIONS))
    assert len(pieces) >= 3
    assert all(piece.keyboard == () for piece in pieces[:-1])
    assert pieces[-1].keyboard == keyboard(MENU_OPTIONS)
    assert [w for p in pieces for w in html.unescape(p.html).split()] == text.split()


def test_render_a_short_message_is_one_piece_with_its_keyboard() -> None:
    assert render(Outgoing("Выберите <тему>", MENU_OPTIONS[:1])) == [
        Piece("Выберите &lt;тему&gt;", ((("Узбекистан", "registration.ask:0"),),))
    ]


# --- the shipped content -------------------------------------------------------------------------

FREE_TEXT = "qwzx 12345"
"""An answer to a node asking for free text: no command, option, topic or danger word."""
STATE_LIMIT = 3000


def _key(state: State) -> tuple[object, ...]:
    return (state.lang, state.node, tuple(sorted(state.vars.items())), state.handover)


def walk(engine: Engine, lang: str) -> tuple[list[Outgoing], set[str]]:
    """Every message reachable from a /start in `lang` by pressing buttons (and answering the
    free-text questions), breadth first; with the nodes the walk stood on."""
    bundle = engine.bundle
    first = engine.start(State(), lang=lang)
    starts = [first]
    # a node reached only through a variable set elsewhere is also shown as a start point
    for flow in bundle.flows.values():
        for node in flow.nodes.values():
            for value in node.say:
                variables = {node.by: value} if node.by and value != "default" else {}
                starts.append(engine.greeting(State(lang=lang, node=node.ref, vars=variables)))
    sticker = engine.handle(first.state, Incoming(text=None))  # the polite "unsupported"
    messages = [m for result in [*starts, sticker] for m in result.messages]
    queue = deque(starts)
    seen: set[tuple[object, ...]] = set()
    visited: set[str] = set()
    while queue:
        shown = queue.popleft()
        state = shown.state
        if _key(state) in seen:
            continue
        seen.add(_key(state))
        assert len(seen) < STATE_LIMIT, "the walk does not end: the flows loop through variables"
        visited.add(state.node or "")
        inputs = [Incoming(choice=o.id) for m in shown.messages for o in m.options]
        here = bundle.node(state.node or "")
        if here is not None and here.ask_var:
            inputs.append(Incoming(text=FREE_TEXT))
        for incoming in inputs:
            result = engine.handle(state, incoming)
            messages += result.messages
            if result.messages:
                queue.append(result)
    return messages, visited


@pytest.fixture(scope="module")
def shipped_engine() -> Engine:
    return build_engine(load_or_raise(ROOT), Settings().hotline)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_shipped_message_fits_telegram(shipped_engine: Engine, lang: str) -> None:
    messages, visited = walk(shipped_engine, lang)
    bundle = shipped_engine.bundle
    with_text = {
        node.ref for flow in bundle.flows.values() for node in flow.nodes.values() if node.say
    }
    assert with_text <= visited, "the walk missed nodes"
    assert len(messages) > len(with_text)
    problems = []
    for message in messages:
        pieces = render(message)
        for piece in pieces:
            if utf16_len(piece.html) > TEXT_LIMIT:
                problems.append(f"{message.key}: a piece of {utf16_len(piece.html)} units")
        buttons = [button for row in pieces[-1].keyboard for button in row]
        if len(buttons) != len(message.options):
            problems.append(f"{message.key}: {len(message.options)} options, {len(buttons)} shown")
        for _label, data in buttons:
            if not data.isascii() or len(data.encode()) > CALLBACK_LIMIT:
                problems.append(f"{message.key}: callback data {data!r}")
    assert problems == []
