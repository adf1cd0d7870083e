"""Free-text matching: spelling folds, typos, danger priority, options, and the eval set."""

from __future__ import annotations

import argparse
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot import LANGUAGES, TOPICS
from bot.cli import match as match_cli
from bot.engine.matching import OPERATOR, Matcher
from bot.engine.translit import skeleton, stem, words
from bot.engine.vocabulary import _similarity, similarity

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "eval" / "messages.tsv"


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def shipped_matcher() -> Matcher:
    """A Matcher over the shipped content, read here so the test does not depend on the loader."""
    content = ROOT / "content"
    return Matcher(
        keywords={lang: _yaml(content / lang / "keywords.yaml") for lang in LANGUAGES},
        danger={lang: _yaml(content / lang / "danger.yaml")["phrases"] for lang in LANGUAGES},
        operator_words={
            lang: _yaml(content / lang / "commands.yaml")["operator"] for lang in LANGUAGES
        },
        danger_endings={
            lang: _yaml(content / lang / "danger.yaml")["endings"] for lang in LANGUAGES
        },
    )


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return shipped_matcher()


def topic(m: Matcher, text: str, lang: str) -> str | None:
    understood = m.understand(text, lang)
    return understood.best.topic if understood.best else None


# --- spelling -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variants",
    [
        ["регистрация", "registratsiya", "registraciya", "регистрацыя", "РЕГИСТРАЦИЯ"],
        ["учёт", "uchyot"],
        ["ВНЖ", "vnzh", "vnj", "внж"],
        ["roʻyxat", "ro‘yxat", "ro’yxat", "ro`yxat", "ro'yxat", "рўйхат", "руйхат"],
        ["шаҳрвандӣ", "шахрванди", "shahrvandi"],
        ["иҷозат", "ичозат", "ijozat"],
        ["қайд", "кайд", "qayd"],
    ],
)
def test_spellings_of_one_word_share_a_skeleton(variants: list[str]) -> None:
    assert len({skeleton(v) for v in variants}) == 1


def test_stopwords_and_punctuation_are_not_words() -> None:
    assert words("Вид на жительство, пожалуйста!") == ["vid", "jitelstvo", "pojaluista"]
    assert words("РВП-ро дароз кардан") == ["rvp", "ro", "daroz", "kardan"]


def test_stems_drop_endings_but_keep_short_words_whole() -> None:
    assert stem(skeleton("регистрация")) == "registrats"
    assert stem(skeleton("Корея")) == "kore"
    assert stem("rvp") == "rvp"


def test_typos_in_the_body_match_but_different_endings_do_not() -> None:
    assert skeleton("pattent") == "patent"  # doubled letters collapse in the skeleton
    assert similarity(skeleton("патэнт"), "patent") > 0.8
    assert similarity("uzbekiston", "uzbekistan") > 0.8
    assert similarity("zabrat", "zabral") == 0.0  # "to collect" is not "took"
    assert similarity("pogovorit", "dogovor") == 0.0  # another first letter: another word
    assert similarity("urib", "utib") == 0.0  # four letters: no typo tolerance


# --- topics ---------------------------------------------------------------------------------------


SKELETON_LETTERS = st.text(alphabet="aeioubdgkmnprstvxz0123", min_size=1, max_size=12)


@given(SKELETON_LETTERS, SKELETON_LETTERS)
def test_pairs_answered_before_the_memo_score_what_the_rules_give(typed: str, word: str) -> None:
    """`similarity` answers words that start differently without its rules: they must agree."""
    assert similarity(typed, word) == _similarity(typed, word)
    assert similarity(typed + "a", typed + "e") == _similarity(typed + "a", typed + "e")


def test_words_starting_with_different_vowels_may_still_be_typos() -> None:
    assert similarity("ozbekiston", "uzbekiston") > 0.8  # oʻzbek typed with o or u


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("patent qancha turadi", "uz", "work_permit"),
        ("патент қанча туради", "uz", "work_permit"),
        ("patentni qanday to‘layman", "uz", "work_permit"),
        ("регистрация сколько дней", "ru", "registration"),
        ("registratsiya chand ruz", "tg", "registration"),
        ("skolko stoit patent", "ru", "work_permit"),
        ("grajdanstvo kak poluchit", "ru", "citizenship"),
        ("шахрвандии русия", "tg", "citizenship"),
        ("ҳуҷҷатҳо барои шаҳрвандӣ", "tg", "citizenship"),
        ("ro`yxatdan o`tish kerakmi", "uz", "registration"),
        ("ruyxatdan utish kerakmi", "uz", "registration"),
        ("патентамро дароз кардан", "tg", "work_permit"),
        ("дактиласкопия где", "ru", "health"),
        ("зарплату не платят", "ru", "labour_rights"),
    ],
)
def test_typed_questions_reach_their_topic(
    matcher: Matcher, text: str, lang: str, expected: str
) -> None:
    assert topic(matcher, text, lang) == expected


def test_a_longer_phrase_beats_a_word_of_another_topic(matcher: Matcher) -> None:
    assert topic(matcher, "квота на рвп", "ru") == "residence_permit"
    assert topic(matcher, "odam savdosi nima", "uz") == "trafficking"  # "odam" asks for a human


def test_asking_for_a_human_is_the_operator(matcher: Matcher) -> None:
    assert topic(matcher, "хочу поговорить с оператором", "ru") == OPERATOR
    assert topic(matcher, "operator bilan gaplashmoqchiman", "uz") == OPERATOR


@pytest.mark.parametrize(
    ("text", "lang"),
    [("привет", "ru"), ("какая погода завтра", "ru"), ("salom", "uz"), ("qalaysiz", "uz"),
     ("ташаккур", "tg"), ("хахаха", "tg"), ("asdfgh", "ru"), ("", "ru"), ("😀", "uz")],
)  # fmt: skip
def test_out_of_scope_messages_match_nothing(matcher: Matcher, text: str, lang: str) -> None:
    understood = matcher.understand(text, lang)
    assert (understood.danger, understood.best, understood.candidates) == (False, None, ())


def test_two_topics_give_candidates_not_a_guess(matcher: Matcher) -> None:
    understood = matcher.understand("патент и регистрация", "ru")
    assert understood.best is None
    assert {g.topic for g in understood.candidates} == {"work_permit", "registration"}


def test_the_conversations_language_is_preferred() -> None:
    m = Matcher({"ru": {"a": ["банк"]}, "uz": {"b": ["bank"]}}, {})
    assert m.understand("bank", "ru").candidates[0].topic == "a"
    assert m.understand("bank", "uz").candidates[0].topic == "b"


def test_empty_content_understands_nothing() -> None:
    understood = Matcher({}, {}).understand("патент", "ru")
    assert understood.best is None and understood.candidates == () and not understood.danger


# --- danger ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("работодатель забрал паспорт, а патент ещё не оплачен", "ru"),
        ("zabrali pasport", "ru"),
        ("pasportimni olib qoʻyishdi", "uz"),
        ("паспортимни олиб қўйишди", "uz"),
        ("шиносномаамро гирифтанд", "tg"),
        ("хуччатхоямро гирифтанд", "tg"),
        ("нас заперли", "ru"),
        ("маро мезананд", "tg"),
    ],
)
def test_danger_signs_are_found_even_beside_a_topic(matcher: Matcher, text: str, lang: str) -> None:
    assert matcher.understand(text, lang).danger


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("когда можно забрать паспорт после подачи на гражданство", "ru"),
        ("шиносномаи русӣ гирифтан мехоҳам", "tg"),
        ("rossiya pasportini olmoqchiman", "uz"),
        ("patentimni muddati o'tib ketdi", "uz"),
        ("долго ждать патент", "ru"),  # "долг" (a debt to work off) is a danger sign
        ("занг заданд", "tg"),  # "they phoned", not "they hit"
        ("patent chiqarmayapti", "uz"),  # "they do not issue", not "they do not let out"
        ("bet ochish", "uz"),  # "open a page": Russian "бьет" must not fold to "bet"
    ],
)
def test_similar_harmless_messages_are_not_danger(matcher: Matcher, text: str, lang: str) -> None:
    assert not matcher.understand(text, lang).danger


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("мекунам", "tg"),  # "I do"
        ("мекунад", "tg"),
        ("мекунем", "tg"),  # "we do": one letter from мекушем, "we will kill"
        ("мешавад", "tg"),  # "becomes"
        ("мемонад", "tg"),  # "stays"
        ("мемонанд", "tg"),  # "they stay": two letters from мезананд, "they beat"
        ("намекунад", "tg"),
        ("ман дар маскав кор мекунам патент лозим аст", "tg"),
        ("модарам дар хона мемонад ман ба русия меравам", "tg"),
        ("narxga qarab", "uz"),  # "depending on the price": one letter from qamab, "locked up"
        ("viloyatga qarab patent narxi har xilmi", "uz"),
        ("какая угроза если я просрочу патент на неделю", "ru"),  # a risk, not a threat
        ("есть ли угроза депортации", "ru"),
        ("шиносномаи нав гирифтам регистратсияро нав мекунам", "tg"),  # "I got a new passport"
    ],
)
def test_everyday_words_near_danger_words_are_not_danger(
    matcher: Matcher, text: str, lang: str
) -> None:
    """Danger words never match by edit distance: a typo away is often another, harmless word."""
    assert not matcher.understand(text, lang).danger


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("шиносномаҳои моро гирифтанд", "tg"),  # plural object
        ("сардор ҳуҷҷатҳои ҳамаро гирифт", "tg"),  # "took": the past tense without an ending
        ("телефонҳои моро гирифтанд", "tg"),
        ("шабона моро дар вагонча қулф мекунанд", "tg"),
        ("hammamizning telefonlarimizni olib qo'yishdi", "uz"),
        ("xo'jayin hamma ishchilarning pasportlarini o'zida saqlayapti", "uz"),
        ("бизни кечаси қамаб қўйишади", "uz"),
        ("начальник держит паспорта всех рабочих у себя в сейфе", "ru"),
        ("у нас забрали телефоны чтобы мы никому не звонили", "ru"),
        ("с объекта не выпускают уже третий месяц", "ru"),
    ],
)
def test_inflected_and_reworded_danger_is_found(matcher: Matcher, text: str, lang: str) -> None:
    assert matcher.understand(text, lang).danger


def test_danger_words_match_exactly_or_with_the_languages_endings() -> None:
    m = Matcher(
        {},
        {"tg": ["шиноснома гирифтанд", "гирифт= сардор"]},
        danger_endings={"tg": ["ҳо", "и", "ро", "ям", "ам"]},
    )
    assert m.understand("шиносномаҳоямро гирифтанд", "tg").danger
    assert m.understand("шиносномаамро гирифтанд", "tg").danger  # "аа" is one letter folded
    assert m.understand("сардор гирифт", "tg").danger
    assert not m.understand("сардор гирифтам", "tg").danger  # "=": only as written
    assert not m.understand("шиноснома гирифтан", "tg").danger  # "ан" is no listed ending
    assert not m.understand("шинасномаро гирифтанд", "tg").danger  # no typo tolerance
    assert not m.understand("шиноснома", "tg").danger  # every word of the phrase is needed
    assert m.understand("шиноснома гирифтанд", "ru").danger  # every language's list applies


# --- options --------------------------------------------------------------------------------------

WHO = ["Кто ставит на учёт?", "Приложение «Амина» (Москва)", "Как получить патент?"]
VISA = ["Да, нужна виза", "Нет, въезжаю без визы"]
WORK = ["Работать", "Не работать, больше 90 дней"]
COUNTRY_UZ = ["Oʻzbekiston", "Tojikiston", "Rossiya", "Boshqa davlat"]


@pytest.mark.parametrize(
    ("text", "labels", "index"),
    [
        ("прилажение амина", WHO, 1),
        ("кто ставит на учет", WHO, 0),
        ("да", VISA, 0),
        ("нет", VISA, 1),
        ("работат", WORK, 0),
        ("не работать", WORK, 1),
        ("ўзбекистон", COUNTRY_UZ, 0),
        ("o`zbekiston", COUNTRY_UZ, 0),
        ("tojikston", COUNTRY_UZ, 1),
    ],
)
def test_typed_text_picks_an_option(
    matcher: Matcher, text: str, labels: list[str], index: int
) -> None:
    found = matcher.match_option(text, labels, "ru")
    assert found is not None and found[0] == index


@pytest.mark.parametrize(
    ("text", "labels"),
    [("регистрация сколько дней", WHO), ("не знаю", VISA), ("патент", ["Патент", "Патенты"]),
     ("", VISA), ("да", [])],
)  # fmt: skip
def test_unclear_text_picks_no_option(matcher: Matcher, text: str, labels: list[str]) -> None:
    assert matcher.match_option(text, labels, "ru") is None


# --- content and evaluation set -------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_word_lists_have_every_topic_and_one_danger_key(lang: str) -> None:
    keywords = _yaml(ROOT / "content" / lang / "keywords.yaml")
    assert set(keywords) == {
        *TOPICS,
        "question_words",
        "contrast_words",
        "purpose_words",
        "condition_words",
    }
    assert all(keywords[t] for t in TOPICS)
    assert set(_yaml(ROOT / "content" / lang / "danger.yaml")) == {"phrases", "endings"}


def read_eval() -> list[tuple[str, str, str]]:
    lines = EVAL.read_text(encoding="utf-8").splitlines()
    rows = [tuple(line.split("\t")) for line in lines if line and not line.startswith("#")]
    assert all(len(row) == 3 for row in rows)
    return [(row[0], row[1], row[2]) for row in rows]


def test_eval_set_is_large_and_covers_every_topic() -> None:
    rows = read_eval()
    per_lang = Counter(lang for lang, _, _ in rows)
    assert len(rows) >= 300 and all(per_lang[lang] >= 100 for lang in LANGUAGES)
    for lang in LANGUAGES:
        expected = {e for row_lang, e, _ in rows if row_lang == lang}
        assert expected >= {*TOPICS, "none", OPERATOR}


def test_eval_set_accuracy_and_no_confident_out_of_scope(matcher: Matcher) -> None:
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    out_of_scope_matched = []
    for lang, expected, text in read_eval():
        got, _ = match_cli.verdict(matcher.understand(text, lang))
        total[lang] += 1
        right[lang] += (got or "none") == expected
        if expected == "none" and got is not None:
            out_of_scope_matched.append(text)
    assert out_of_scope_matched == []
    for lang in LANGUAGES:
        assert right[lang] / total[lang] >= 0.9, (lang, right[lang], total[lang])


# --- command line ---------------------------------------------------------------------------------


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    match_cli.add_parser(parser.add_subparsers())
    return parser.parse_args(["match", *argv])


def test_cli_prints_one_json_line_per_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        "sys.stdin", io.StringIO("patent qancha turadi\n\nsalom\npasportimni olishdi\n")
    )
    args = _args("--lang", "uz")
    assert args.run(args) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["text"], line["topic"]) for line in lines] == [
        ("patent qancha turadi", "work_permit"),
        ("salom", None),
        ("pasportimni olishdi", OPERATOR),
    ]
    assert all(0 <= line["score"] <= 1 for line in lines)


def test_cli_eval_prints_accuracy_and_misses_only_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tsv = tmp_path / "eval.tsv"
    tsv.write_text("# comment\nru\twork_permit\tпатент\nru\tquota\tпривет\n", encoding="utf-8")
    assert match_cli.run(_args("--eval", str(tsv))) == 1
    out = capsys.readouterr().out
    assert "ru:  50.0%  (1/2)  wrong confident 0" in out and "привет" not in out
    assert match_cli.run(_args("--eval", str(tsv), "--show-misses")) == 1
    out = capsys.readouterr().out
    assert "expected quota" in out and "привет" in out


FIXTURES = ROOT / "tests" / "fixtures" / "eval"


def test_eval_with_urgent_column_counts_false_alarms_and_recall(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """urgent.tsv: ru has a danger sign under a `quota` row (a false alarm, a wrong confident
    answer), one urgent message caught and one missed; uz has no urgent row, so no recall."""
    assert match_cli.run(_args("--eval", str(FIXTURES / "urgent.tsv"))) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "ru:  60.0%  (3/5)  wrong confident 1  false alarms 1/3  danger recall 1/2 (50.0%)"
    )
    assert lines[1] == "uz:  50.0%  (1/2)  wrong confident 0  false alarms 0/2"
    assert lines[2] == "misses: 3 (texts with --show-misses)"


def test_eval_with_header_maps_trafficking_to_the_urgent_hand_over(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """topics.tsv has no urgent column: `trafficking` rows are the urgent ones, a topic is not
    the right answer for them, and danger is not the right answer for `registration`."""
    assert match_cli.run(_args("--eval", str(FIXTURES / "topics.tsv"))) == 1
    out = capsys.readouterr().out
    assert "ru:  50.0%  (2/4)  wrong confident 2  false alarms 1/2  danger recall 1/2" in out
    assert "urgency taken from expected = trafficking" in out


def test_eval_passes_only_without_false_alarms(tmp_path: Path) -> None:
    tsv = tmp_path / "calm.tsv"
    tsv.write_text("lang\texpected\turgent\ttext\nru\twork_permit\t0\tпатент\n", "utf-8")
    assert match_cli.run(_args("--eval", str(tsv))) == 0
    tsv.write_text("lang\texpected\turgent\ttext\nru\twork_permit\t0\tбьют\n", "utf-8")
    assert match_cli.run(_args("--eval", str(tsv))) == 1


def test_misses_of_held_out_sets_are_never_shown(capsys: pytest.CaptureFixture[str]) -> None:
    for name in sorted(match_cli.HELD_OUT):
        path = ROOT / "tests" / "eval" / name
        assert match_cli.run(_args("--eval", str(path), "--show-misses")) == 2
        assert capsys.readouterr().out == ""


def test_read_eval_reads_both_formats() -> None:
    assert match_cli.read_eval(FIXTURES / "topics.tsv")[0] == ("ru", "trafficking", "нас заперли")
    rows = match_cli.read_rows(FIXTURES / "urgent.tsv")
    assert [r.urgent for r in rows[:5]] == [False, False, False, True, True]
    assert not any(r.legacy for r in rows)
    assert all(r.legacy and r.urgent is None for r in match_cli.read_rows(EVAL))


# --- question clause, endings, compounds (the "understanding" issue, items 3, 4 and 6) ----------


FOCUS_KEYWORDS = {
    "ru": {
        "work_permit": ["патент"],
        "registration": ["регистрац"],
        "health": ["рентген"],
        "labour_rights": ["не платит"],
        "question_words": ["нужен", "как", "где"],
        "contrast_words": ["но", "а"],
    }
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("у меня патент уже есть, где сделать регистрацию", "registration"),
        ("регистрацию сделал, нужен ли рентген", "health"),
        ("у меня патент и регистрация, а работодатель не платит", "labour_rights"),
        ("патент есть но работодатель не платит", "labour_rights"),
    ],
)
def test_the_clause_that_asks_decides_between_two_topics(text: str, expected: str) -> None:
    assert topic(Matcher(FOCUS_KEYWORDS, {}), text, "ru") == expected


def test_without_a_question_clause_two_topics_still_tie() -> None:
    understood = Matcher(FOCUS_KEYWORDS, {}).understand("патент и регистрация", "ru")
    assert understood.best is None
    assert {g.topic for g in understood.candidates} == {"work_permit", "registration"}


def test_a_topic_only_in_the_background_clause_is_still_found() -> None:
    # The asking clause names no topic: the rest of the message is all there is to go on.
    assert topic(Matcher(FOCUS_KEYWORDS, {}), "регистрация есть, как быть", "ru") == "registration"


def test_question_and_contrast_words_are_not_topics() -> None:
    understood = Matcher(FOCUS_KEYWORDS, {}).understand("как", "ru")
    assert (understood.best, understood.candidates) == (None, ())


def test_keywords_written_inflected_match_other_forms_through_the_endings() -> None:
    keywords = {
        "uz": {"registration": ["ro'yxatga olish"]},
        "tg": {"citizenship": ["шаҳрвандӣ гирифтан"]},
    }
    endings = {"uz": ["ga", "dan", "lar", "im", "ni", "ish", "dim"], "tg": ["ан", "ам", "ро", "и"]}
    m = Matcher(keywords, {}, danger_endings=endings)
    assert topic(m, "ro'yxatdan olishim kerak", "uz") == "registration"
    assert topic(m, "шаҳрвандиро гирифтам", "tg") == "citizenship"
    # Without the language's endings "гирифтам" is not "гирифтан" (an ending is not a typo).
    assert topic(Matcher(keywords, {}), "шаҳрвандиро гирифтам", "tg") is None


def test_a_compound_of_a_short_head_and_a_long_keyword_is_that_keyword() -> None:
    m = Matcher({"ru": {"health": ["освидетельствовани"]}}, {})
    assert topic(m, "медосвидетельствование где пройти", "ru") == "health"
    assert topic(m, "свидетельство о рождении", "ru") is None


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("полис дмс где купить", "ru", "health"),
        ("dms polis qayerdan olsa bo'ladi", "uz", "health"),
        ("полиси дмс аз куҷо харам", "tg", "health"),
        ("нужен ли рентген для патента", "ru", "health"),
        ("медосвидетельствование где пройти", "ru", "health"),
        ("квота на рвп", "ru", "residence_permit"),
        ("сколько ждать квоту если фирма подала заявку", "ru", "quota"),
        ("регу где сделать", "ru", "registration"),
        ("патик сколько стоит", "ru", "work_permit"),
        ("хочу поговорить с юристом", "ru", "operator"),
        ("yurist bilan gaplashmoqchiman", "uz", "operator"),
        ("бо юрист гап задан мехоҳам", "tg", "operator"),
    ],
)
def test_slang_insurance_policy_and_quota_reach_their_topic(
    matcher: Matcher, text: str, lang: str, expected: str
) -> None:
    assert topic(matcher, text, lang) == expected


PURPOSE_KEYWORDS = {
    "ru": {
        "work_permit": ["патент"],
        "health": ["рентген", "медосмотр"],
        "question_words": ["нужен", "где"],
        "purpose_words": ["для _"],
    },
    "uz": {"health": ["rentgen"], "purpose_words": ["_ uchun"]},
    "tg": {"health": ["рентген"], "purpose_words": ["барои _"]},
}


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("нужен ли рентген для патента", "ru", "health"),
        ("где пройти медосмотр для оформления патента", "ru", "health"),
        ("patent uchun rentgen kerakmi", "uz", "health"),
        ("барои патент рентген лозим", "tg", "health"),
        ("что нужно для патента", "ru", "work_permit"),  # nothing else named: the purpose is it
    ],
)
def test_what_something_is_for_is_not_the_question(text: str, lang: str, expected: str) -> None:
    keywords: dict[str, dict[str, list[str]]] = {
        lang: dict(topics) for lang, topics in PURPOSE_KEYWORDS.items()
    }
    keywords["uz"]["work_permit"] = keywords["tg"]["work_permit"] = ["patent"]
    assert topic(Matcher(keywords, {}), text, lang) == expected


def test_a_condition_clause_is_not_the_question() -> None:
    keywords = {
        "ru": {
            "citizenship": ["гражданств"],
            "residence_permit": ["внж"],
            "question_words": ["как"],
            "condition_words": ["если"],
        }
    }
    m = Matcher(keywords, {})
    assert topic(m, "как получить гражданство если у меня внж", "ru") == "citizenship"
    assert topic(m, "если у меня внж как получить гражданство", "ru") == "citizenship"


@pytest.mark.parametrize(
    ("text", "lang"),
    [("квоты на этот год ещё есть", "ru"), ("kvota kerakmi", "uz"), ("квота чист", "tg")],
)
def test_a_general_quota_question_reaches_quota(matcher: Matcher, text: str, lang: str) -> None:
    assert topic(matcher, text, lang) == "quota"
