"""An operator's words are marked as a person's on every channel, in the user's language: the
web page gets who wrote them and the label to show, Telegram a bold signature line, an SMS its
signature before the words. The display name an operator chose is shown; their login never is."""

from __future__ import annotations

import pytest

from bot.channels.rendering import render_sms
from bot.channels.telegram.render import render as telegram_render
from bot.channels.web.transport import render as web_render
from bot.delivery.outbox import message_of, sealed_body
from bot.engine.engine import Engine
from bot.engine.model import Bundle
from bot.engine.state import State
from bot.engine.texts import Texts
from bot.engine.understanding import NoUnderstanding
from bot.settings import HotlineSettings
from bot.storage.sealed import Sealer

LABELS = {"ru": "Оператор", "uz": "Operator", "tg": "Оператор"}
SEALER = Sealer(b"k" * 32)


@pytest.fixture(scope="module")
def engine(shipped_bundle: Bundle) -> Engine:
    return Engine(shipped_bundle, Texts(shipped_bundle, HotlineSettings()), NoUnderstanding())


@pytest.mark.parametrize("lang", sorted(LABELS))
def test_operator_words_are_labelled_on_every_channel(engine: Engine, lang: str) -> None:
    label = LABELS[lang]
    sent = engine.from_operator(State(lang=lang), "Salom <b>!")
    message = message_of(
        sealed_body(sent, SEALER), SEALER
    )  # as the outbox keeps it until it is sent
    piece = web_render(message)
    assert (piece["from"], piece["label"], piece["text"]) == ("operator", label, "Salom <b>!")
    (telegram,) = telegram_render(message)
    assert telegram.html == f"<b>{label}:</b>\nSalom &lt;b&gt;!"
    assert render_sms(message).startswith(f"{label}: Salom")


@pytest.mark.parametrize("lang", sorted(LABELS))
def test_a_chosen_display_name_is_shown(engine: Engine, lang: str) -> None:
    sent = message_of(
        sealed_body(engine.from_operator(State(lang=lang), "Hi", name="Aziza <3"), SEALER), SEALER
    )
    assert web_render(sent)["label"] == f"{LABELS[lang]} Aziza <3"
    assert telegram_render(sent)[0].html.startswith(f"<b>{LABELS[lang]} Aziza &lt;3:</b>\n")
    assert render_sms(sent).startswith(f"{LABELS[lang]} Aziza <3: Hi")


def test_the_bots_own_messages_carry_no_label(engine: Engine) -> None:
    menu = engine.start(State(lang="ru")).messages[0]
    assert "from" not in web_render(menu) and "label" not in web_render(menu)
    assert not telegram_render(menu)[0].html.startswith("<b>")
