"""Which known words a typed word may be: exact, an inflected form, or a typo.

Looking every typed word up against every keyword with an edit distance would cost a few hundred
microseconds per message. Instead the constructor indexes each word, its stem, and every string
obtained by deleting up to the allowed number of letters from them (the "symmetric delete" trick):
two words within k edits of each other share such a string, so a lookup costs a few dozen dictionary
probes, and rapidfuzz only confirms the handful of candidates found.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from itertools import combinations

from rapidfuzz.distance import OSA

from bot.engine.endings import is_endings, roots
from bot.engine.translit import COMMON_WORDS, VOWELS, is_abbreviation, stem

EXACT = 1.0
INFLECTED = 0.95
"""A typed word that starts with a keyword's stem: "патента", "patentni", "патентро"."""
SHORT_INFLECTED = 0.55
"""The same through a stem of two or three letters ("ish" in "ishga"): only good inside a phrase."""
EDIT_COST = 0.75
"""Similarity lost per edit (insertion, deletion, substitution, transposition), relative to the
word's length: one typo costs 0.15 in a five-letter word, 0.06 in "daktiloskopiya"."""
MIN_FUZZY_STEM = 6
"""Shorter stems with a typo and any ending match too much: "qanday" would be "Kanada"."""
COMPOUND = 0.9
"""A typed word made of a short head and a known long word: "медосвидетельствование"."""
COMPOUND_HEAD = (2, 4)
"""Least and most letters of a compound's head ("мед", "мигр")."""
COMPOUND_STEM = 8
"""Least length of the known word's stem in a compound: shorter ones hide inside other words."""


def max_edits(length: int) -> int:
    """Typos tolerated in a word of this length: none up to four letters, where one edit often
    makes another real word ("o'tib"/"urib", "sil"/"sol")."""
    if length < 5:
        return 0
    return 1 if length < 8 else 2


def typo_similarity(edits: int, word: str) -> float:
    """Similarity of a word mistyped with `edits` edits to the intended skeleton `word`."""
    return 1.0 - EDIT_COST * edits / len(word)


def _deletions(word: str, depth: int) -> set[str]:
    found = {word}
    for k in range(1, min(depth, len(word) - 1) + 1):
        found.update("".join(kept) for kept in combinations(word, len(word) - k))
    return found


def _plausible_typo(a: str, b: str, ending: int = 1) -> bool:
    """Whether two words a few edits apart look like one word mistyped rather than two words.

    They must start alike: the same letter, or both a vowel (people type the Uzbek oʻ as "o",
    "u" or "у"), since "поговорить"/"договор" are different words. And they must differ before the
    shorter word's last `ending` letters: "забрать"/"забрал", "гирифтан"/"гирифтанд" differ only
    in an ending, which is grammar left to stems; as typos they would confuse "to take" with "took".
    """
    same_start = a[:1] == b[:1] or (a[:1] in VOWELS and b[:1] in VOWELS)
    body = min(len(a), len(b)) - ending
    return same_start and a[:body] != b[:body]


TOKENS_REMEMBERED = 20_000
"""Typed words whose lookup a vocabulary remembers at most (then it starts again)."""
CACHED_WORD = 32
"""Pairs of words up to this long have their similarity remembered (people type the same words
to the same menus again and again); longer ones, rare or hostile, are worked out each time."""


def similarity(typed: str, word: str) -> float:
    """How alike two skeleton words are, by the same rules as `Vocabulary.lookup`, without index.

    Every rule wants the words to start alike (equal, a stem of at least three letters starting
    the other, a plausible typo): most pairs a menu's labels make with a typed text do not, and
    are answered before the memo is consulted, so few pairs reach it."""
    first, other = typed[:1], word[:1]
    if first != other and not (first in VOWELS and other in VOWELS):
        return 0.0
    if len(typed) <= CACHED_WORD and len(word) <= CACHED_WORD:
        return _remembered(typed, word)
    return _similarity(typed, word)


@functools.lru_cache(maxsize=50_000)
def _remembered(typed: str, word: str) -> float:
    return _similarity(typed, word)


def _similarity(typed: str, word: str) -> float:
    if typed == word:
        return EXACT
    if not typed.isdigit() and not word.isdigit():
        for a, b in ((typed, word), (word, typed)):
            prefix = stem(b)
            if a.startswith(prefix):
                short = len(prefix) < 4 and not is_abbreviation(prefix)
                return SHORT_INFLECTED if short else INFLECTED
    allowed = 0 if typed in COMMON_WORDS else max_edits(min(len(typed), len(word)))
    distance = OSA.distance(typed, word, score_cutoff=allowed) if allowed else allowed + 1
    if distance <= allowed and _plausible_typo(typed, word):
        return typo_similarity(distance, word)
    return 0.0


class Vocabulary:
    """An index of skeleton words answering "which of these could this typed word be?"."""

    def __init__(
        self, words: Iterable[str], endings: Mapping[str, frozenset[str]] | None = None
    ) -> None:
        """`endings` gives, for some words, the endings of their language: such a word also
        matches its roots followed by those endings ("ruihatga" matches "ruihatdan")."""
        self.words: tuple[str, ...] = tuple(sorted(set(words)))
        self._exact: dict[str, int] = {w: i for i, w in enumerate(self.words)}
        self._found: dict[str, dict[int, float]] = {}
        self._stems: dict[str, list[int]] = {}
        self._deleted: dict[str, list[int]] = {}
        self._stem_deleted: dict[str, list[int]] = {}
        for i, word in enumerate(self.words):
            if word.isdigit():
                continue
            word_stem = stem(word)
            self._stems.setdefault(word_stem, []).append(i)
            for variant in _deletions(word, max_edits(len(word))):
                self._deleted.setdefault(variant, []).append(i)
            if len(word_stem) >= MIN_FUZZY_STEM:
                for variant in _deletions(word_stem, 1):
                    self._stem_deleted.setdefault(variant, []).append(i)
        self._roots: dict[str, list[tuple[int, frozenset[str]]]] = {}
        for word, word_endings in (endings or {}).items():
            i = self._exact[word]
            for root in roots(word, word_endings):
                self._roots.setdefault(root, []).append((i, word_endings))
        self._root_lengths = sorted({len(r) for r in self._roots})
        self._stem_lengths = sorted({len(s) for s in self._stems})
        self._compound_lengths = [n for n in self._stem_lengths if n >= COMPOUND_STEM]
        self._longest = max((len(w) for w in self.words), default=0)
        self._longest_fuzzy_stem = max(
            (len(stem(self.words[i])) for ids in self._stem_deleted.values() for i in ids),
            default=0,
        )

    def index(self, word: str) -> int:
        """The position of a skeleton word given to the constructor."""
        return self._exact[word]

    def lookup(self, token: str) -> dict[int, float]:
        """Indexes of the words `token` may be, each with a similarity from 0 to 1 (remembered:
        callers must not change it). People write the same words again and again, and a word
        not in the vocabulary costs a search among its typo variants each time."""
        found = self._found.get(token)
        if found is None:
            if len(self._found) >= TOKENS_REMEMBERED:
                self._found.clear()
            found = self._found[token] = self._lookup(token)
        return found

    def _lookup(self, token: str) -> dict[int, float]:
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
        self._add_roots(token, found)
        if max(found.values(), default=0.0) < INFLECTED:
            self._add_compounds(token, found)
        if not found and token not in COMMON_WORDS:
            self._add_typos(token, found)
        return found

    def _add_roots(self, token: str, found: dict[int, float]) -> None:
        """Words whose root `token` is, followed by endings of the word's language."""
        for length in self._root_lengths:
            if length > len(token):
                break
            for i, endings in self._roots.get(token[:length], ()):
                rest = token[length:]
                if found.get(i, 0.0) < INFLECTED and (
                    not rest or is_endings(rest, token[length - 1], endings)
                ):
                    found[i] = INFLECTED

    def _add_compounds(self, token: str, found: dict[int, float]) -> None:
        """Words whose long stem follows a short head in `token`: "medosvidetelstvovanie"."""
        least, most = COMPOUND_HEAD
        for head in range(least, most + 1):
            rest = token[head:]
            for length in self._compound_lengths:
                if length > len(rest):
                    break
                for i in self._stems.get(rest[:length], ()):
                    found[i] = max(found.get(i, 0.0), COMPOUND)

    def _add_typos(self, token: str, found: dict[int, float]) -> None:
        # Bounds first: the deletions of a long token are many (a 2,000-letter "word" has two
        # million two-letter deletions), and none of them can reach a word this much shorter.
        edits = max_edits(len(token))
        if edits and len(token) <= self._longest + edits:
            for variant in _deletions(token, edits):
                for i in self._deleted.get(variant, ()):
                    word = self.words[i]
                    allowed = min(edits, max_edits(len(word)))
                    distance = OSA.distance(token, word, score_cutoff=allowed)
                    if distance <= allowed and _plausible_typo(token, word):
                        found[i] = max(found.get(i, 0.0), typo_similarity(distance, word))
        if found or len(token) < MIN_FUZZY_STEM:
            return
        for length in range(MIN_FUZZY_STEM - 1, min(len(token), self._longest_fuzzy_stem + 1) + 1):
            typed = token[:length]
            for variant in _deletions(typed, 1):
                for i in self._stem_deleted.get(variant, ()):
                    word_stem = stem(self.words[i])
                    # Where a typed word is cut to a stem's length is arbitrary, so a difference in
                    # its last two letters means another word going on, not a typo.
                    if OSA.distance(typed, word_stem, score_cutoff=1) <= 1 and _plausible_typo(
                        typed, word_stem, ending=2
                    ):
                        found.setdefault(i, INFLECTED * typo_similarity(1, word_stem))
