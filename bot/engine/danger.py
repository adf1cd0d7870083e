"""Danger signs: phrases whose words must appear as written or inflected, never mistyped.

A danger sign escalates a conversation as urgent, so a false one frightens a user and takes an
operator from someone in real danger. Typo tolerance, right for topics, is wrong here: a letter
away from a danger word is often an everyday word (Tajik "мекунем", "we do", against "мекушем",
"we will kill"; Uzbek "qarab", "depending on", against "qamab", "locked up"). So a typed word
matches a danger word only when it is that word, or that word followed by endings of the phrase's
language (content/<lang>/danger.yaml, `endings`), several in a row ("telefon" + "lar" + "imiz" +
"ni"). A phrase word written with a final "=" matches only as written: Tajik "гирифт=" ("took")
must not become "гирифтам" ("I received").

Words, phrases and endings are compared as skeletons (translit.py), so script, transliteration and
Tajik letters typed on a Russian keyboard do not matter. A phrase matches when each of its words
is found in a different typed word, in any order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.engine.endings import fold_endings, is_endings
from bot.engine.translit import words

EXACT_MARK = "="
"""Ends a phrase word that must match exactly as written, without endings."""
TOKENS_REMEMBERED = 20_000
"""Typed words whose danger-word matches are remembered at most (then it starts again)."""


@dataclass(frozen=True)
class _Word:
    text: str
    lang: str
    exact: bool


class DangerSigns:
    """Finds danger phrases in typed text; build once from every language's lists."""

    def __init__(
        self,
        phrases: Mapping[str, Sequence[str]],
        endings: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self._endings: dict[str, frozenset[str]] = {
            lang: fold_endings(items or ()) for lang, items in (endings or {}).items()
        }
        word_ids: dict[_Word, int] = {}
        phrase_set: set[tuple[int, ...]] = set()
        for lang, items in phrases.items():
            for text in items or ():
                ids = tuple(
                    word_ids.setdefault(word, len(word_ids)) for word in _phrase_words(text, lang)
                )
                if ids:
                    phrase_set.add(tuple(dict.fromkeys(ids)))
        self._words: list[_Word] = sorted(word_ids, key=word_ids.__getitem__)
        self._phrases: list[tuple[int, ...]] = sorted(phrase_set)
        self._by_text: dict[str, list[int]] = {}
        for i, word in enumerate(self._words):
            self._by_text.setdefault(word.text, []).append(i)
        self._lengths = sorted({len(text) for text in self._by_text})
        self._by_word: list[list[int]] = [[] for _ in self._words]
        for p, ids in enumerate(self._phrases):
            for i in ids:
                self._by_word[i].append(p)
        self._found: dict[str, tuple[int, ...]] = {}

    def found(self, text: str) -> bool:
        """Whether `text` contains every word of some danger phrase, each in its own typed word."""
        positions: dict[int, set[int]] = {}
        for position, token in enumerate(words(text)):
            for i in self._lookup(token):
                positions.setdefault(i, set()).add(position)
        candidates = {p for i in positions for p in self._by_word[i]}
        return any(
            _distinct([positions.get(i, set()) for i in self._phrases[p]])
            for p in sorted(candidates)
        )

    def _lookup(self, token: str) -> tuple[int, ...]:
        found = self._found.get(token)
        if found is None:
            if len(self._found) >= TOKENS_REMEMBERED:
                self._found.clear()
            found = self._found[token] = tuple(self._matches(token))
        return found

    def _matches(self, token: str) -> list[int]:
        matches = []
        for length in self._lengths:
            if length > len(token):
                break
            for i in self._by_text.get(token[:length], ()):
                word = self._words[i]
                rest = token[length:]
                if not rest or (
                    not word.exact
                    and _ends_with_endings(rest, word.text[-1], self._endings.get(word.lang))
                ):
                    matches.append(i)
        return matches


def _phrase_words(text: str, lang: str) -> list[_Word]:
    """The skeleton words of a phrase, each marked exact when written with a final '='."""
    found = []
    for raw in str(text).split():
        exact = raw.endswith(EXACT_MARK)
        found += [_Word(w, lang, exact) for w in words(raw.rstrip(EXACT_MARK))]
    return found


def _ends_with_endings(rest: str, before: str, endings: frozenset[str] | None) -> bool:
    return endings is not None and is_endings(rest, before, endings)


def _distinct(options: list[set[int]]) -> bool:
    """Whether each phrase word can be given its own typed word (a tiny bipartite matching)."""
    if not all(options):
        return False

    def assign(k: int, used: frozenset[int]) -> bool:
        if k == len(options):
            return True
        return any(assign(k + 1, used | {p}) for p in options[k] if p not in used)

    return assign(0, frozenset())
