"""The page's language and words, and a template that escapes whatever it is given."""

from __future__ import annotations

import pytest

from bot import LANGUAGES
from bot.channels.web.page import (
    PAGE_KEYS,
    Page,
    accepted_language,
    language_tag,
    page_language,
    page_texts,
)
from bot.engine.model import Bundle
from bot.engine.texts import Texts
from bot.settings import HotlineSettings


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("uz-UZ,uz;q=0.9,ru;q=0.8", "uz"),
        ("en-US,en;q=0.9,tg;q=0.5,ru;q=0.7", "ru"),
        ("ru;q=0.5, tg", "tg"),
        ("uz-Latn-UZ", "uz"),
        ("de, fr;q=0.5", None),
        ("ru;q=0, uz;q=0.1", "uz"),
        ("ru;q=abc, tg;q=0.2", "tg"),
        ("", None),
        (None, None),
        (";;;,,,q=1", None),
    ],
)
def test_accept_language(header: str | None, expected: str | None) -> None:
    assert accepted_language(header) == expected


def test_the_page_language() -> None:
    assert page_language("tg", "uz") == "tg"
    assert page_language("xx", "uz") == "uz"
    assert page_language(None, None) == "ru"
    assert language_tag("TG_tj") == "tg" and language_tag("english") is None


def test_every_language_has_every_page_word(shipped_bundle: Bundle) -> None:
    words = page_texts(Texts(shipped_bundle, HotlineSettings()))
    assert set(words) == set(LANGUAGES)
    for lang in LANGUAGES:
        assert set(words[lang]) == set(PAGE_KEYS)
        for name, text in words[lang].items():
            assert text and text != f"webchat.{name}", (lang, name)


def test_the_template_escapes_texts_and_keeps_the_json_inert() -> None:
    evil = "</script><script>alert(1)</script>\"'&"
    texts = {lang: dict.fromkeys(PAGE_KEYS, evil) for lang in LANGUAGES}
    html = Page().render("ru", texts, 'tok"en')
    assert "<script>alert(1)" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in html
    assert 'content="tok&#34;en"' in html
    json_block = html.split('id="chat-texts">', 1)[1].split("</script>", 1)[0]
    assert "<" not in json_block  # tojson escapes it: the block cannot be closed early
