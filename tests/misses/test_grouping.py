"""Grouping: one question in all its wordings is one line with its total."""

from __future__ import annotations

from bot.misses.grouping import group
from bot.misses.store import Miss


def test_similar_texts_of_a_language_are_one_group_most_asked_first() -> None:
    groups = group(
        [
            Miss("ru", "сколько стоит патент в <name>", 5, 1),
            Miss("ru", "сколько стоит патент в <name>?", 1, 0),
            Miss("ru", "патент сколько стоит в <name>", 2, 0),
            Miss("ru", "где сделать медосмотр", 3, 0),
            Miss("uz", "patent qancha turadi", 4, 2),
            Miss("uz", "патент қанча туради", 1, 0),
            Miss("tg", "сколько стоит патент в <name>", 1, 0),
        ]
    )
    summary = [(g.lang, g.count, g.unsure, [m.text for m in g.texts]) for g in groups]
    assert summary == [
        (
            "ru",
            8,
            1,
            [
                "сколько стоит патент в <name>",
                "патент сколько стоит в <name>",
                "сколько стоит патент в <name>?",
            ],
        ),
        ("uz", 5, 2, ["patent qancha turadi", "патент қанча туради"]),
        ("ru", 3, 0, ["где сделать медосмотр"]),
        ("tg", 1, 0, ["сколько стоит патент в <name>"]),
    ]


def test_questions_sharing_a_word_stay_apart() -> None:
    groups = group(
        [Miss("ru", "сколько стоит патент", 1, 0), Miss("ru", "как продлить патент", 1, 0)]
    )
    assert len(groups) == 2
