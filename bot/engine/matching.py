"""Free-text understanding: which topic a typed message means, and whether it carries danger signs.

Editors keep keyword and phrase lists per topic and language (content/<lang>/keywords.yaml), danger
signs (danger.yaml) and words asking for a human (the `operator` command). Every phrase is folded to
a skeleton (translit.py), so script, transliteration and Tajik look-alikes do not matter, and every
typed word is looked up with inflection and typo tolerance (vocabulary.py). A phrase matches when
all its words are present, in any order; all three languages' phrases are tried for every message,
those of the conversation's language weigh a little more. Danger signs are the exception: they
match only as written or inflected, never mistyped (danger.py).

A topic's evidence is the weight of its matched phrases, a phrase of several words weighing more
than one word. Where phrases of different topics claim the same typed words, the longer phrase wins
("квота на РВП" is about the residence permit, not quotas). The best topic is confident only when
its evidence is strong and clearly ahead of the runner-up: offering two options costs the user one
tap, answering the wrong question costs their trust.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.engine.clauses import Focus
from bot.engine.danger import DangerSigns
from bot.engine.endings import fold_endings
from bot.engine.translit import words
from bot.engine.understanding import Guess, Understood
from bot.engine.vocabulary import Vocabulary, similarity

OPERATOR = "operator"
"""The pseudo-topic of a message asking for a human; `Understood.best` may carry it."""
QUESTION_WORDS = "question_words"
CONTRAST_WORDS = "contrast_words"
PURPOSE_WORDS = "purpose_words"
CONDITION_WORDS = "condition_words"
"""Word lists of keywords.yaml that are not topics: they find the asking clause (clauses.py)."""
NOT_TOPICS = frozenset({QUESTION_WORDS, CONTRAST_WORDS, PURPOSE_WORDS, CONDITION_WORDS})
BACKGROUND = 0.0
"""Weight of evidence from clauses that do not ask, when the asking clause names a topic too:
none. "Патент есть, где сделать регистрацию" asks about registration; the patent is context, and
even as a weak runner-up it would make the answer a coin toss between two topics."""

PHRASE_BONUS = 0.5
"""Extra weight per extra word of a phrase: "разрешение на работу" says more than "работа"."""
OTHER_LANGUAGE = 0.9
"""Weight of a phrase from another language than the conversation's."""
SHARPNESS = 2.0
NOTHING = 0.7
"""The evidence of "this message is about none of the topics", which a topic must beat."""
CONFIDENT = 0.56
"""Least score that sends a user straight to a topic: one keyword in the conversation's language
with at most one typo, or an exact keyword of another language (see `score`)."""
MIN_SINGLE = 0.6
"""Least similarity for a one-word phrase: a two-letter stem alone ("ish") proves nothing."""
CANDIDATE_EVIDENCE = 0.5
CANDIDATE_SHARE = 0.4
"""A weak topic is offered if it has some evidence and at least this share of the best one's."""
MAX_CANDIDATES = 3
OPTION_CONFIDENT = 0.6
OPTION_MARGIN = 0.15
EXPLAINED = 0.7
"""In option matching, the share of the score for how much of the typed text a label explains;
the rest is for how much of the label the text covers. Typed words a label cannot explain ("не"
in "не работать") matter more than label words the user did not bother to type."""
LABELS_REMEMBERED = 10_000
"""Button labels whose words are remembered at most (content has a few hundred)."""


@dataclass(frozen=True)
class _Phrase:
    label: str
    words: tuple[int, ...]
    weight: float
    langs: frozenset[str]


@dataclass(frozen=True)
class _Hit:
    phrase: _Phrase
    similarity: float
    positions: frozenset[int]
    focus: bool


def score(evidence: float, others: Sequence[float]) -> float:
    """0..1: the share of a topic in a softmax over all topics' evidence and "nothing meant".

    Differences of evidence count, not ratios: two keywords against one phrase of another topic
    is a clear lead, one keyword against one keyword is a coin toss.
    """
    weights = [math.exp(SHARPNESS * (e - evidence)) for e in (NOTHING, *others)]
    return 1 / (1 + sum(weights))


class Matcher:
    """Maps messages to topics and option labels; build once, reuse for every message."""

    def __init__(
        self,
        keywords: Mapping[str, Mapping[str, Sequence[str]]],
        danger: Mapping[str, Sequence[str]],
        operator_words: Mapping[str, Sequence[str]] | None = None,
        danger_endings: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self._danger = DangerSigns(danger, danger_endings)
        entries: dict[tuple[str, tuple[str, ...]], set[str]] = {}

        def add(label: str, lang: str, phrases: Sequence[str]) -> None:
            for text in phrases:
                phrase_words = tuple(dict.fromkeys(words(str(text))))
                if phrase_words:
                    entries.setdefault((label, phrase_words), set()).add(lang)

        for lang, topics in keywords.items():
            for topic, phrases in topics.items():
                if topic not in NOT_TOPICS:
                    add(topic, lang, phrases or ())
        for lang, phrases in (operator_words or {}).items():
            add(OPERATOR, lang, phrases or ())

        self._labels: dict[str, list[str]] = {}
        folded = {lang: fold_endings(items or ()) for lang, items in (danger_endings or {}).items()}
        word_endings: dict[str, frozenset[str]] = {}
        for (_, phrase_words), langs in entries.items():
            for lang in langs & folded.keys():
                for w in phrase_words:
                    word_endings[w] = word_endings.get(w, frozenset()) | folded[lang]
        self._vocab = Vocabulary(
            (w for _, phrase_words in entries for w in phrase_words), word_endings
        )
        sharing: dict[tuple[str, ...], set[str]] = {}
        for label, phrase_words in entries:
            sharing.setdefault(phrase_words, set()).add(label)
        question, contrast, purpose, condition = (
            [str(w) for topics in keywords.values() for w in topics.get(key) or ()]
            for key in (QUESTION_WORDS, CONTRAST_WORDS, PURPOSE_WORDS, CONDITION_WORDS)
        )
        self._focus = Focus(question, contrast, purpose, condition, names=self._names)
        self._phrases: list[_Phrase] = []
        self._by_word: list[list[int]] = [[] for _ in self._vocab.words]
        for (label, phrase_words), langs in entries.items():
            shared_by = len(sharing[phrase_words])
            ids = tuple(self._vocab.index(w) for w in phrase_words)
            weight = (1 + PHRASE_BONUS * (len(ids) - 1)) / shared_by
            for i in ids:
                self._by_word[i].append(len(self._phrases))
            self._phrases.append(_Phrase(label, ids, weight, frozenset(langs)))

    def _names(self, token: str) -> bool:
        """Whether a typed skeleton word is a keyword's word on its own (not a short stem)."""
        return max(self._vocab.lookup(token).values(), default=0.0) >= MIN_SINGLE

    def understand(self, text: str, lang: str) -> Understood:
        """Danger signs, the confident topic if any, else the plausible ones (see understanding)."""
        hits = self._hits(text)
        danger = self._danger.found(text)
        ranked = sorted(self._evidence(hits, lang).items(), key=lambda kv: (-kv[1], kv[0]))
        if not ranked:
            return Understood(danger=danger)
        top_label, top = ranked[0]
        evidences = [evidence for _, evidence in ranked]
        top_score = score(top, evidences[1:])
        if top_score >= CONFIDENT:
            return Understood(danger=danger, best=Guess(top_label, round(top_score, 3)))
        candidates = tuple(
            Guess(label, round(score(evidence, evidences[:i] + evidences[i + 1 :]), 3))
            for i, (label, evidence) in enumerate(ranked)
            if label != OPERATOR
            and evidence >= CANDIDATE_EVIDENCE
            and evidence >= CANDIDATE_SHARE * top
        )
        return Understood(danger=danger, candidates=candidates[:MAX_CANDIDATES])

    def match_option(self, text: str, labels: Sequence[str], lang: str) -> tuple[int, float] | None:
        """The index of the option label `text` means, with a score; None unless clearly one.

        Scores weigh how much of the typed text the label explains and how much of the label the
        text covers (see EXPLAINED), so "да" picks "Да, нужна виза" over "Нет, въезжаю без визы".
        `lang` is accepted for symmetry with `understand`; labels are already in that language.
        """
        typed = words(text)
        if not typed or not labels:
            return None
        scores = [_overlap(typed, self._label_words(label)) for label in labels]
        ranked = sorted(range(len(scores)), key=lambda i: -scores[i])
        best = ranked[0]
        second = scores[ranked[1]] if len(ranked) > 1 else 0.0
        if scores[best] >= OPTION_CONFIDENT and scores[best] - second >= OPTION_MARGIN:
            return best, round(scores[best], 3)
        return None

    def _label_words(self, label: str) -> list[str]:
        """A button label's skeleton words, worked out once (labels come from content)."""
        found = self._labels.get(label)
        if found is None:
            if len(self._labels) >= LABELS_REMEMBERED:
                self._labels.clear()
            found = self._labels[label] = words(label)
        return found

    def _hits(self, text: str) -> list[_Hit]:
        # Each known word is taken where it is typed most alike, in the asking clause if it is
        # typed there at all (clauses.py).
        best: dict[int, tuple[float, int]] = {}
        rank: dict[int, tuple[bool, float]] = {}
        looked_up: dict[str, dict[int, float]] = {}
        focused = self._focus(text)
        for position, token in enumerate(focused.words):
            if token not in looked_up:
                looked_up[token] = self._vocab.lookup(token)
            for i, sim in looked_up[token].items():
                here = (focused.focus[position], sim)
                if i not in rank or here > rank[i]:
                    rank[i] = here
                    best[i] = (sim, position)
        hits: list[_Hit] = []
        for index in sorted({p for i in best for p in self._by_word[i]}):
            phrase = self._phrases[index]
            found = [best[w] for w in phrase.words if w in best]
            if len(found) < len(phrase.words):
                continue
            positions = frozenset(position for _, position in found)
            mean = sum(sim for sim, _ in found) / len(found)
            if len(positions) == len(found) and (len(found) > 1 or mean >= MIN_SINGLE):
                focus = any(focused.focus[p] for p in positions)
                hits.append(_Hit(phrase, mean, positions, focus))
        return hits

    @staticmethod
    def _evidence(hits: list[_Hit], lang: str) -> dict[str, float]:
        # Longest match wins: a phrase whose words all belong to a longer phrase of another topic
        # ("odam" for the operator inside "odam savdosi", trafficking) is not evidence, unless
        # that longer phrase is only a weaker guess ("vizali" exact against "ishchi viza" read
        # from "ishchilar ... vizali" through a two-letter stem).
        kept = [
            h
            for h in hits
            if not any(
                h.positions < o.positions
                and o.phrase.label != h.phrase.label
                and o.similarity >= h.similarity
                for o in hits
            )
        ]
        # The asking clause decides (clauses.py): other clauses' topics weigh less, unless the
        # asking clause names no topic at all.
        asked = any(h.focus for h in kept)
        weighed = sorted(
            (
                -h.phrase.weight
                * h.similarity
                * (1.0 if lang in h.phrase.langs else OTHER_LANGUAGE)
                * (1.0 if h.focus or not asked else BACKGROUND),
                h.phrase.words,
                h,
            )
            for h in kept
            if h.focus or not asked or BACKGROUND
        )
        evidence: dict[str, float] = {}
        used: dict[str, set[int]] = {}
        for negative_weight, _, hit in weighed:
            taken = used.setdefault(hit.phrase.label, set())
            if not taken & hit.positions:
                taken |= hit.positions
                evidence[hit.phrase.label] = evidence.get(hit.phrase.label, 0.0) - negative_weight
        return evidence


def _overlap(typed: list[str], label: list[str]) -> float:
    if not label:
        return 0.0
    if typed == label:
        return 1.0
    grid = [[similarity(t, w) for w in label] for t in typed]  # each pair once
    covered: float = sum(map(max, zip(*grid, strict=True))) / len(label)
    explained = sum(map(max, grid)) / len(typed)
    return EXPLAINED * explained + (1 - EXPLAINED) * covered
