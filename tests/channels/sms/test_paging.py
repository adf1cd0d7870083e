"""Paging long SMS bodies: every page within budget with its hint, nothing lost, options last."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.sms.paging import paginate
from bot.channels.sms_segments import fold_for_sms, sms_cost

HINT_RU = "Ещё: ответьте ЕЩЁ"
HINT_UZ = "Davomi: YANA deb yozing"
HINT_EN = "MORE: reply MORE"

RU_ANSWER = (
    "Патент оформляют в течение 30 дней после въезда. Нужны паспорт, миграционная карта, "
    "полис ДМС и справки о медосвидетельствовании. Заявление подают в миграционный центр "
    "региона, где вы будете работать. После выдачи патента каждый месяц платите налог "
    "(НДФЛ) авансом. Если пропустить платёж хотя бы на день, патент аннулируют. "
    "Сохраняйте все чеки об оплате! Их могут проверить при продлении. "
    "Через 12 месяцев патент можно переоформить, не выезжая из России."
)
UZ_ANSWER = fold_for_sms(
    "Patentni kirgandan keyin 30 kun ichida rasmiylashtirish kerak. Pasport, migratsiya "
    "kartasi, tibbiy sugʻurta polisi va tibbiy koʻrik maʼlumotnomalari kerak. Arizani "
    "ishlaydigan viloyatingizdagi migratsiya markaziga topshirasiz. Patent berilgandan keyin "
    "har oy soliqni oldindan toʻlaysiz. Toʻlovni bir kunga kechiktirsangiz, patent bekor "
    "qilinadi. Barcha cheklarni saqlang! Uzaytirishda tekshirishlari mumkin."
)


def texts_of(pages: list[str], hint: str) -> list[str]:
    """The pages without their hints."""
    folded = fold_for_sms(hint)
    body = [page.removesuffix("\n" + folded) for page in pages[:-1]]
    assert all(page.endswith("\n" + folded) for page in pages[:-1])
    assert not pages[-1].endswith(folded)
    return [*body, pages[-1]]


def assert_pages(body: str, pages: list[str], budget: int, hint: str) -> None:
    assert all(sms_cost(page).segments <= budget for page in pages), [sms_cost(p) for p in pages]
    assert " ".join(texts_of(pages, hint)).split() == body.split()


def test_a_body_within_budget_is_one_page() -> None:
    assert paginate("Short text\n1 Yes\n0 Operator", 1, HINT_EN) == [
        "Short text\n1 Yes\n0 Operator"
    ]
    assert paginate("", 1, HINT_EN) == [""]


def test_gsm7_pages_cut_at_sentence_ends() -> None:
    body = " ".join(f"Sentence number {i} is here." for i in range(40))
    pages = paginate(body, 1, HINT_EN)
    assert len(pages) > 1
    assert_pages(body, pages, 1, HINT_EN)
    assert all(sms_cost(page).encoding == "GSM-7" for page in pages)
    assert all(text.endswith(".") for text in texts_of(pages, HINT_EN))


def test_one_cyrillic_letter_makes_a_page_ucs2_and_the_page_is_sized_for_it() -> None:
    body = "Plain latin words only here. " * 20 + "Ж"
    pages = paginate(body, 2, HINT_EN)
    assert_pages(body, pages, 2, HINT_EN)
    assert sms_cost(pages[-1]).encoding == "UCS-2"
    assert sms_cost(pages[0]).encoding == "GSM-7"


def test_a_cyrillic_hint_makes_latin_pages_ucs2_and_they_still_fit() -> None:
    body = "Plain latin words only here. " * 20
    pages = paginate(body, 1, HINT_RU)
    assert_pages(body, pages, 1, HINT_RU)
    assert all(sms_cost(page).encoding == "UCS-2" for page in pages[:-1])


def test_a_long_russian_answer() -> None:
    body = RU_ANSWER + "\n1 Цена патента\n2 Продление\n3 Назад\n4 Меню\n0 Оператор"
    pages = paginate(body, 3, HINT_RU)
    assert len(pages) == 4
    assert_pages(body, pages, 3, HINT_RU)
    assert all(text[-1] in ".!" for text in texts_of(pages, HINT_RU)[:-1])
    assert_pages(body, paginate(body, 2, HINT_RU), 2, HINT_RU)


def test_a_long_uzbek_latin_answer_stays_gsm7() -> None:
    body = UZ_ANSWER + "\n1 Patent narxi\n2 Uzaytirish\n0 Operator"
    pages = paginate(body, 2, HINT_UZ)
    assert_pages(body, pages, 2, HINT_UZ)
    assert all(sms_cost(page).encoding == "GSM-7" for page in pages)
    assert len(pages) == 2  # 530 septets: two pages of two segments, not three of UCS-2


def test_a_typographic_apostrophe_in_the_hint_is_folded() -> None:
    pages = paginate(UZ_ANSWER, 1, "Davomi: YANA deb yozing (koʻproq)")
    assert all(sms_cost(page).encoding == "GSM-7" for page in pages)


def test_emoji_are_never_split_and_count_two_units() -> None:
    body = "😀" * 200
    pages = paginate(body, 1, HINT_EN)
    assert "".join(texts_of(pages, HINT_EN)) == body
    assert all(sms_cost(page).units <= 70 for page in pages)


def test_a_joined_emoji_stays_on_one_page() -> None:
    family = "👨\u200d👩\u200d👧"
    body = "a" * 140 + family * 10
    pages = paginate(body, 1, HINT_EN)
    assert "".join(texts_of(pages, HINT_EN)) == body
    for text in texts_of(pages, HINT_EN):
        assert not text.startswith("\u200d") and not text.endswith("\u200d")


def test_one_enormous_word_is_cut_hard() -> None:
    body = "Ҷ" * 500
    pages = paginate(body, 3, HINT_RU)
    assert len(pages) == 3
    assert all(sms_cost(page).segments <= 3 for page in pages)
    assert "".join(texts_of(pages, HINT_RU)) == body


def test_options_stay_together_on_the_last_page() -> None:
    options = "1 Цена патента\n2 Продление\n3 Назад\n4 Меню\n0 Оператор"
    pages = paginate(RU_ANSWER + "\n" + options, 2, HINT_RU)
    assert pages[-1].endswith(options)
    assert all("Оператор" not in page for page in pages[:-1])


def test_options_too_long_for_a_page_are_paged_like_text() -> None:
    options = "\n".join(f"{n} Очень длинная подпись варианта ответа номер {n}" for n in range(1, 9))
    body = "Выберите:\n" + options
    pages = paginate(body, 1, HINT_RU)
    assert_pages(body, pages, 1, HINT_RU)


def test_a_hint_that_leaves_no_room_is_an_error() -> None:
    with pytest.raises(ValueError):
        paginate("Ж" * 100, 1, "Ж" * 70)
    with pytest.raises(ValueError):
        paginate("text", 0, HINT_EN)


WORD = st.text(
    st.sampled_from("abcxyz'ЖжқӯҳҷабвOʻ€{😀é"), min_size=1, max_size=12
)  # GSM-7, extension, Cyrillic, Uzbek, emoji
SEPARATOR = st.sampled_from([" ", " ", " ", ". ", "! ", "\n", "? "])


@st.composite
def bodies(draw: st.DrawFn) -> str:
    words = draw(st.lists(WORD, min_size=1, max_size=120))
    text = words[0] + "".join(draw(SEPARATOR) + word for word in words[1:])
    labels = draw(st.lists(WORD, max_size=4))
    return "\n".join([text, *(f"{n} {label}" for n, label in enumerate(labels, start=1))])


@settings(max_examples=300, deadline=None)
@given(
    body=bodies(),
    budget=st.integers(min_value=1, max_value=3),
    hint=st.sampled_from([HINT_EN, HINT_RU, HINT_UZ, "Davomi: koʻproq"]),
)
def test_any_text_pages_within_budget_and_keeps_every_word(
    body: str, budget: int, hint: str
) -> None:
    pages = paginate(body, budget, hint)
    assert all(sms_cost(page).segments <= budget for page in pages)
    assert " ".join(texts_of(pages, hint)).split() == body.split()
