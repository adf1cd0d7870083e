"""What the matcher remembers gives the same answers as working them out, and stays bounded."""

from __future__ import annotations

import pytest

from bot.engine import memo as memo_module
from bot.engine import translit, vocabulary
from bot.engine.commands import variants
from bot.engine.memo import ShortTextMemo
from bot.engine.normalize import normalize, uz_to_latin
from bot.engine.vocabulary import Vocabulary

WORDS = ["patent", "registratsia", "grajdanstvo", "rabota", "propiska"]


def test_a_remembered_lookup_is_the_lookup() -> None:
    vocab = Vocabulary(WORDS)
    for token in ["patent", "patnet", "registratsiu", "grajdan", "xyzzy", "7"]:
        first = vocab.lookup(token)
        assert first == Vocabulary(WORDS).lookup(token) == vocab._lookup(token)
        assert vocab.lookup(token) is first  # remembered


def test_lookups_remembered_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vocabulary, "TOKENS_REMEMBERED", 10)
    vocab = Vocabulary(WORDS)
    for n in range(35):
        vocab.lookup(f"word{n}")
        assert len(vocab._found) <= 10
    assert vocab.lookup("patnet") == vocab._lookup("patnet")


@pytest.mark.parametrize(
    "text",
    ["Как получить патент?", "patent olish", "ПАТЕНТ", "x" * 300, "", "🙂 регистрация 2"],
)
def test_words_remembered_or_not_are_the_words(text: str) -> None:
    found = translit.words(text)
    assert found == translit._words(text)
    found.append("changed")  # a caller's list is its own
    assert translit.words(text) == translit._words(text)


@pytest.mark.parametrize(
    "text", ["  Меню!  ", "Ўзбекча", "o‘zbekcha", "ПАТЕНТ", "x" * 300, "", "🙂 Тоҷикӣ"]
)
def test_remembered_forms_are_the_forms(text: str) -> None:
    assert normalize(text) == normalize.func(text)
    assert variants(text) == variants.func(text)
    assert variants(text) == {normalize(text), uz_to_latin(normalize(text))}


def test_only_short_texts_are_remembered_and_only_so_many() -> None:
    memo = ShortTextMemo(str.upper)
    memo.remembered.cache_clear()
    memo("a" * (memo_module.SHORT_TEXT + 1))
    assert memo.remembered.cache_info().currsize == 0
    for n in range(memo_module.REMEMBERED + 50):
        assert memo(f"text {n}") == f"TEXT {n}"
    info = memo.remembered.cache_info()
    assert info.currsize == memo_module.REMEMBERED
    memo("text 4145")  # among the latest: found, not worked out again
    assert memo.remembered.cache_info().hits == info.hits + 1
