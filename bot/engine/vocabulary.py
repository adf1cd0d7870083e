"""Which known words a typed word may be: exact, an inflected form, or a typo.

Looking every typed word up against every keyword with an edit distance would cost a few hundred
microseconds per message. Instead the constructor indexes each word, its stem, and every string
obtained by deleting up to the allowed number of letters from them (the "symmetric delete" trick):
two words within k edits of each other share such a string, so a lookup costs a few dozen dictionary
probes, and rapidfuzz only confirms the handful of candidates found.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations

from rapidfuzz.distance import OSA

from bot.engine.translit import is_abbreviation, stem

EXACT = 1.0
INFLECTED = 0.95
"""A typed word that starts with a keyword's stem: "патента", "patentni", "патентро"."""
SHORT_INFLECTED = 0.55
"""The same through a stem of two or three letters ("ish" in "ishga"): only good inside a phrase."""
TYPO = (1.0, 0.85, 0.7)
"""Similarity by number of edits (insertion, deletion, substitution, transposition)."""
TYPO_IN_STEM = 0.8
"""A typed word whose beginning is one edit away from a stem: "ragistratsiyaga"."""
MIN_FUZZY_STEM = 5


def max_edits(length: int) -> int:
    """Typos tolerated in a word of this length: none in short words, where one edit is another word."""
    if length < 4:
        return 0
    return 1 if length < 8 else 2


def _deletions(word: str, depth: int) -> set[str]:
    found = {word}
    for k in range(1, min(depth, len(word) - 1) + 1):
        found.update("".join(kept) for kept in combinations(word, len(word) - k))
    return found


def _differs_in_body(a: str, b: str) -> bool:
    """Whether two words differ before their last two letters.

    Differences only at the end are grammar ("забрать"/"забрал", "гирифтан"/"гирифтанд") and are
    left to stems; treating them as typos would confuse "to take" with "took".
    """
    limit = min(len(a), len(b)) - 2
    return any(x != y for x, y in zip(a[:limit], b[:limit], strict=True))


def similarity(typed: str, word: str) -> float:
    """How alike two skeleton words are, by the same rules as `Vocabulary.lookup`, without index."""
    if typed == word:
        return EXACT
    if not typed.isdigit() and not word.isdigit():
        for a, b in ((typed, word), (word, typed)):
            prefix = stem(b)
            if a.startswith(prefix):
                short = len(prefix) < 4 and not is_abbreviation(prefix)
                return SHORT_INFLECTED if short else INFLECTED
    allowed = max_edits(min(len(typed), len(word)))
    distance = OSA.distance(typed, word, score_cutoff=allowed) if allowed else allowed + 1
    if distance <= allowed and _differs_in_body(typed, word):
        return TYPO[distance]
    return 0.0


class Vocabulary:
    """An index of skeleton words answering "which of these could this typed word be?"."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words: tuple[str, ...] = tuple(sorted(set(words)))
        self._exact: dict[str, int] = {w: i for i, w in enumerate(self.words)}
        self._stems: dict[str, list[int]] = {}
        self._deleted: dict[str, list[int]] = {}
        self._stem_deleted: dict[str, list[int]] = {}
        for i, word in enumerate(self.words):
            if word.isdigit():
                continue
            self._stems.setdefault(stem(word), []).append(i)
            for variant in _deletions(word, max_edits(len(word))):
                self._deleted.setdefault(variant, []).append(i)
            word_stem = stem(word)
            if len(word_stem) >= MIN_FUZZY_STEM:
                for variant in _deletions(word_stem, 1):
                    self._stem_deleted.setdefault(variant, []).append(i)
        self._stem_lengths = sorted({len(s) for s in self._stems})

    def index(self, word: str) -> int:
        """The position of a skeleton word given to the constructor."""
        return self._exact[word]

    def lookup(self, token: str) -> dict[int, float]:
        """Indexes of the words `token` may be, each with a similarity from 0 to 1."""
        found: dict[int, float] = {}
        exact = self._exact.get(token)
        if exact is not None:
            found[exact] = EXACT
        if token.isdigit():
            return found
        for length in self._stem_lengths:
            if length > len(token):
                break
            prefix = token[:length]
            for i in self._stems.get(prefix, ()):
                if i != exact:
                    short = length < 4 and not is_abbreviation(prefix)
                    found[i] = max(found.get(i, 0.0), SHORT_INFLECTED if short else INFLECTED)
        if not found:
            self._add_typos(token, found)
        return found

    def _add_typos(self, token: str, found: dict[int, float]) -> None:
        edits = max_edits(len(token))
        if edits:
            for variant in _deletions(token, edits):
                for i in self._deleted.get(variant, ()):
                    word = self.words[i]
                    allowed = min(edits, max_edits(len(word)))
                    distance = OSA.distance(token, word, score_cutoff=allowed)
                    if distance <= allowed and _differs_in_body(token, word):
                        found[i] = max(found.get(i, 0.0), TYPO[distance])
        if found or len(token) < MIN_FUZZY_STEM:
            return
        for length in range(MIN_FUZZY_STEM - 1, len(token) + 1):
            for variant in _deletions(token[:length], 1):
                for i in self._stem_deleted.get(variant, ()):
                    word_stem, typed = stem(self.words[i]), token[:length]
                    if OSA.distance(typed, word_stem, score_cutoff=1) <= 1 and _differs_in_body(
                        typed, word_stem
                    ):
                        found.setdefault(i, TYPO_IN_STEM)
