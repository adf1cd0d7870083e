"""Which clause of a message is the question: "do I need an X-ray for the patent?" is about health,
"I have a patent and registration, but the employer doesn't pay" about labour rights.

People describe their situation and then ask, in one message. Counting which topic has most words
answers the wrong question; the clause that asks is the one to answer. A message is cut into
clauses at punctuation and at contrast words (но, а, lekin, ammo, вале...). When some clauses hold
a question or request word (как, где, нужно, qanday, kerak, чӣ тавр, лозим...) and others do not,
the asking clauses are the focus; a clause opened by a condition word (если, agar, агар), up to a
punctuation mark or a question word, is never the question while another clause is ("как получить
гражданство, если у меня ВНЖ"); when none asks, the clause after the last contrast word is ("...,
а работодатель не платит"). Otherwise every word is in focus. Editors keep both word lists per
language in content/<lang>/keywords.yaml (`question_words`, `contrast_words`); every language's
words count in every message, as people mix languages.

A question word matches a typed word that is that word or starts with it when it has four letters
or more ("kerak" in "kerakmi", "нужн" in "нужно").

Inside a clause, what something is for is not the question either: "нужен ли рентген для патента"
asks about the X-ray. Purpose markers (`purpose_words`: "для _", "_ uchun", "барои _", where "_"
is the side the purpose stands on) take the next two words on that side out of focus (Russian and
Tajik purposes follow the marker, Uzbek ones precede it: "patent olish uchun"), up to the first
that names something (`names`: "барои патент рентген лозим" leaves the X-ray in focus). Out of
focus does not mean ignored: when the focus names no topic, the rest is all there is to go on
(matching.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.engine.translit import COMMON_WORDS, clause_tokens, fold_word, is_word

PURPOSE_SPAN = 2
"""Words a purpose marker takes out of focus: "для оформления патента", "patent olish uchun"."""
SLOT = "_"
"""Marks where the purpose stands in a purpose marker: "для _", "_ uchun"."""
PREFIX_FROM = 4
"""Question words at least this long also match as the start of a typed word."""
TEXTS_REMEMBERED = 20_000
"""Texts whose focus is remembered at most (then it starts again)."""


@dataclass(frozen=True)
class Focused:
    """The words of a message (as `translit.words` gives them) and, for each, whether it lies in
    a clause that is the question."""

    words: tuple[str, ...]
    focus: tuple[bool, ...]


class Focus:
    """Finds the asking clause of messages; build once from every language's word lists."""

    def __init__(
        self,
        question_words: Iterable[str],
        contrast_words: Iterable[str],
        purpose_words: Iterable[str] = (),
        condition_words: Iterable[str] = (),
        names: Callable[[str], bool] = lambda token: False,
    ) -> None:
        """`names` says whether a skeleton word names something (is a keyword's word): a purpose
        ends with the first such word that is not an everyday verb ("olish", "получить")."""
        self._names = names
        asks = {fold_word(w) for w in question_words} - {""}
        self._ask = frozenset(asks)
        self._ask_prefixes = frozenset(w for w in asks if len(w) >= PREFIX_FROM)
        self._prefix_lengths = sorted({len(w) for w in self._ask_prefixes})
        self._contrast = frozenset(fold_word(w) for w in contrast_words) - {""}
        self._condition = frozenset(fold_word(w) for w in condition_words) - {""}
        self._purpose: dict[str, int] = {}
        for marker in purpose_words:
            before, _, after = str(marker).partition(SLOT)
            word = fold_word(before or after)
            if word and (before.strip() == "") != (after.strip() == ""):
                self._purpose[word] = 1 if before.strip() else -1
        self._found: dict[str, Focused] = {}

    def __call__(self, text: str) -> Focused:
        """The words of `text` with their focus flags (remembered: people repeat themselves)."""
        found = self._found.get(text)
        if found is None:
            if len(self._found) >= TEXTS_REMEMBERED:
                self._found.clear()
            found = self._found[text] = self._focus(text)
        return found

    def _asks(self, token: str) -> bool:
        return token in self._ask or any(
            token[:n] in self._ask_prefixes for n in self._prefix_lengths if n < len(token)
        )

    def _focus(self, text: str) -> Focused:
        clauses: list[list[str]] = []
        after_contrast: list[bool] = []
        conditional: list[bool] = []
        for piece in clause_tokens(text):
            clauses.append([])
            after_contrast.append(False)
            conditional.append(False)
            for token in piece:
                opens = token in self._contrast or token in self._condition
                # Unpunctuated, a condition ends where the question starts ("если ВНЖ как ...").
                if (opens or (conditional[-1] and self._asks(token))) and clauses[-1]:
                    clauses.append([])
                    after_contrast.append(False)
                    conditional.append(False)
                after_contrast[-1] |= token in self._contrast
                conditional[-1] |= token in self._condition
                if not opens:
                    clauses[-1].append(token)
        asking = [
            any(map(self._asks, clause)) and not condition
            for clause, condition in zip(clauses, conditional, strict=True)
        ]
        if any(asking) and not all(asking):
            focus = asking
        elif not any(asking) and any(after_contrast[1:]):
            last = max(i for i, contrast in enumerate(after_contrast) if contrast)
            focus = [i >= last for i in range(len(clauses))]
        else:
            focus = [True] * len(clauses)
        if not all(conditional):
            focus = [f and not c for f, c in zip(focus, conditional, strict=True)]
        kept: list[tuple[str, bool]] = []
        for clause, in_focus in zip(clauses, focus, strict=True):
            kept += self._purposes(clause, in_focus)
        return Focused(tuple(t for t, _ in kept), tuple(f for _, f in kept))

    def _purposes(self, clause: list[str], in_focus: bool) -> list[tuple[str, bool]]:
        """The words of a clause (stopwords dropped) with their focus, purposes out of focus."""
        flags = [in_focus] * len(clause)
        if in_focus and self._purpose:
            for i, token in enumerate(clause):
                step = self._purpose.get(token)
                if step is None:
                    continue
                j, taken = i + step, 0
                while 0 <= j < len(clause) and taken < PURPOSE_SPAN:
                    if clause[j] in self._purpose or self._asks(clause[j]):
                        break
                    if is_word(clause[j]):
                        flags[j] = False
                        taken += 1
                        if clause[j] not in COMMON_WORDS and self._names(clause[j]):
                            break
                    j += step
        return [(t, f) for t, f in zip(clause, flags, strict=True) if is_word(t)]
