"""Endings: the grammatical suffixes of a language, which a word may carry several in a row.

Uzbek and Tajik are agglutinative: "hujjat" + "lar" + "im" + "ni", "шаҳрвандӣ" + "ро"; Russian
inflects: "платит", "платят", "платили". Editors keep one list of endings per language
(content/<lang>/danger.yaml, `endings`), used both for danger words (danger.py), which match only
as written or followed by endings, and for topic keywords (matching.py), whose words written in one
form ("ro'yxatga", "гирифтан") also match the other forms of the same root ("ro'yxatdan",
"гирифтам").

Endings are compared as skeletons (translit.py), like everything typed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from bot.engine.translit import fold_word

MAX_ENDINGS = 4
"""Endings in a row after a word: Uzbek "chiqar-ish-ma-yap-ti" needs four."""
MIN_ROOT = 5
"""Least length of a root left when endings are taken off a keyword: shorter roots are shared by
unrelated words ("ish" + "la" is work, "ish" + "on" is trust)."""


def fold_endings(endings: Iterable[str]) -> frozenset[str]:
    """The skeletons of a language's endings, empty ones dropped."""
    return frozenset(e for e in map(fold_word, endings) if e)


def is_endings(rest: str, before: str, endings: frozenset[str]) -> bool:
    """Whether `rest` is one to MAX_ENDINGS endings in a row (empty `rest` is not), following a
    word whose last skeleton letter is `before`."""
    return bool(rest) and _chain(rest, before, endings, MAX_ENDINGS)


def roots(word: str, endings: frozenset[str]) -> set[str]:
    """The roots a skeleton word may be made of: the word itself, and the word without one or
    more endings at its end, each root at least MIN_ROOT letters ("ruihatga" gives
    "ruihatga" and "ruihat"). Typed, a root may be followed by endings ("dubai" + "ga")."""
    found: set[str] = {word} if len(word) >= MIN_ROOT else set()
    for end in range(MIN_ROOT, len(word)):
        root = word[:end]
        if is_endings(word[end:], root[-1], endings):
            found.add(root)
    return found


@functools.lru_cache(maxsize=50_000)
def _chain(rest: str, before: str, endings: frozenset[str], depth: int) -> bool:
    """Whether `rest` is up to `depth` endings in a row. Skeletons fold a doubled letter into
    one, so an ending that starts with the letter before it may have lost that letter."""
    if not rest:
        return True
    if depth == 0:
        return False
    for ending in endings:
        for written in (ending, ending[1:] if ending[0] == before else None):
            if (
                written
                and rest.startswith(written)
                and _chain(rest[len(written) :], written[-1], endings, depth - 1)
            ):
                return True
    return False
