"""Grouping the misses log's texts by similarity, so an editor reads each question once with how
often it was asked in all its wordings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.engine.normalize import fold_for_lang
from bot.misses.store import Miss

SIMILAR = 80.0
"""Texts at least this similar (rapidfuzz token_sort_ratio, word order ignored) are one group:
high enough that two questions sharing a word or two stay apart."""


@dataclass
class Group:
    """Texts of one language asking much the same; `texts` most frequent first."""

    lang: str
    texts: list[Miss] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(m.count for m in self.texts)

    @property
    def unsure(self) -> int:
        return sum(m.unsure for m in self.texts)


def group(misses: Iterable[Miss]) -> list[Group]:
    """Similar texts of a language in one group; groups most asked first (then by language and
    first text, so the listing is stable). Each text joins the group of the most similar earlier,
    more frequent text, compared in the folded form (case, apostrophes, Uzbek script)."""
    ordered = sorted(misses, key=lambda m: (m.lang, -m.count, m.text))
    groups: list[Group] = []
    by_lang: dict[str, tuple[list[str], list[Group]]] = {}
    for miss in ordered:
        keys, lang_groups = by_lang.setdefault(miss.lang, ([], []))
        key = fold_for_lang(miss.text, miss.lang)
        best = process.extractOne(key, keys, scorer=fuzz.token_sort_ratio, score_cutoff=SIMILAR)
        if best is not None:
            lang_groups[best[2]].texts.append(miss)
            continue
        found = Group(miss.lang, [miss])
        keys.append(key)
        lang_groups.append(found)
        groups.append(found)
    return sorted(groups, key=lambda g: (-g.count, g.lang, g.texts[0].text))
