"""Which language a message is written in, told from the message itself.

A new user's first message is often their question, in their own language: "сколько стоит
патент", "patent qancha turadi", "патент чанд пул аст". Asking "which language?" first drops it.
The guess needs no word list of its own: each language's vocabulary is every word the content
says in that language (answers, buttons, keywords), compared as spelling skeletons
(`translit.words`), so Uzbek in Cyrillic or Latin and Tajik typed on a Russian keyboard or in
Latin letters all count. A word that only one language uses is strong evidence, one that two
share is weak, one all three share (патент, Москва) is none. A few letters settle it on their
own: "ӣ", "ӯ", "ҷ" are only Tajik, "ў" and "oʻ"/"gʻ" only Uzbek.

The guess says None when the evidence is thin or close: then the bot asks, as before. It is
judged on held-out messages (`python -m bot match --eval-language`, tests/eval/RESULTS.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.engine.model import Bundle
from bot.engine.translit import words

PREFIX = 5
"""A typed word of at least this many letters also counts when a known word starts like it
(inflections: "оформить" / "оформления", "olmoqchiman" / "olmoqchi")."""
PREFIX_WEIGHT = 0.5
"""A prefix-only match is worth this much of an exact one."""
LETTER_WEIGHT = 2.0
"""Evidence of one letter only one language writes."""
MIN_EVIDENCE = 0.5
"""Below this much evidence for the best language, the guess is None (one word that only it
uses is enough, or two it shares with one other)."""
MIN_LEAD = 1.5
"""The best language must have this many times the evidence of the next one."""

_LETTERS: dict[str, re.Pattern[str]] = {
    "tg": re.compile(r"[ӣӯҷӢӮҶ]"),
    "uz": re.compile(r"[ўЎ]|[oOgG][ʻʼ‘’'`]"),
}
"""Letters (or letter pairs) only one of the three languages writes."""


@dataclass(frozen=True)
class LanguageGuess:
    """Guesses the language of a text among the languages of the vocabularies it was built on."""

    vocabulary: Mapping[str, frozenset[str]]
    prefixes: Mapping[str, frozenset[str]]

    @classmethod
    def from_texts(cls, texts: Mapping[str, Iterable[str]]) -> LanguageGuess:
        """From every text of each language (what `from_bundle` collects)."""
        vocabulary = {
            lang: frozenset(w for text in lang_texts for w in words(text) if len(w) >= 2)
            for lang, lang_texts in texts.items()
        }
        prefixes = {
            lang: frozenset(w[:PREFIX] for w in known if len(w) >= PREFIX)
            for lang, known in vocabulary.items()
        }
        return cls(vocabulary, prefixes)

    @classmethod
    def from_bundle(cls, bundle: Bundle) -> LanguageGuess:
        texts: dict[str, list[str]] = {}
        for lang, entries in bundle.texts.items():
            found = texts.setdefault(lang, [])
            found += (entry.text for entry in entries.values())
        for lang, lexicons in bundle.lexicons.items():
            found = texts.setdefault(lang, [])
            for lexicon in lexicons.values():
                for phrases in lexicon.values():
                    found += phrases
        return cls.from_texts(texts)

    def evidence(self, text: str) -> dict[str, float]:
        """Each language's evidence in `text` (see the module's docstring)."""
        score = dict.fromkeys(self.vocabulary, 0.0)
        for lang, letters in _LETTERS.items():
            if lang in score:
                score[lang] += LETTER_WEIGHT * min(len(letters.findall(text)), 2)
        for word in set(words(text)):
            if len(word) < 2 or word.isdigit():
                continue
            exact = [lang for lang, known in self.vocabulary.items() if word in known]
            if exact:
                for lang in exact:
                    score[lang] += 1.0 / len(exact) if len(exact) < len(score) else 0.0
                continue
            if len(word) < PREFIX:
                continue
            start = word[:PREFIX]
            near = [lang for lang, known in self.prefixes.items() if start in known]
            if 0 < len(near) < len(score):
                for lang in near:
                    score[lang] += PREFIX_WEIGHT / len(near)
        return score

    def __call__(self, text: str) -> str | None:
        """The language of `text`, or None when it cannot be told with confidence."""
        ranked = sorted(self.evidence(text).items(), key=lambda pair: pair[1], reverse=True)
        if not ranked:
            return None
        (best, top), runner_up = ranked[0], ranked[1][1] if len(ranked) > 1 else 0.0
        if top < MIN_EVIDENCE or top < MIN_LEAD * runner_up:
            return None
        return best
