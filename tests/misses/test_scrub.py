"""Scrubbing at intake: what could identify someone never reaches the misses log."""

from __future__ import annotations

import pytest

from bot.misses.scrub import MAX_LENGTH, scrub


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("мой номер +7 (999) 123-45-67, позвоните", "мой номер #, позвоните"),
        ("telefonim 998901234567 qo'ng'iroq qiling", "telefonim # qo'ng'iroq qiling"),
        ("патент на 3 месяца сколько", "патент на # месяца сколько"),
        ("паспорт FA1234567 потерял", "паспорт <number> потерял"),
        ("паспорт AA 1234567 потерял", "паспорт <number> потерял"),
        ("шиноснома № 4567890 гум шуд", "шиноснома <number> гум шуд"),
        ("пишите на anvar.k@mail.ru пожалуйста", "пишите на <email> пожалуйста"),
        ("смотрите https://t.me/anvar_k и www.example.org/a", "смотрите <link> и <link>"),
        ("зайдите на gosuslugi.ru там", "зайдите на <link> там"),
        ("напиши @anvar99 мне", "напиши <name> мне"),
    ],
)
def test_numbers_addresses_and_links_are_removed(text: str, kept: str) -> None:
    assert scrub(text) == kept


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Меня зовут Анвар Каримов, мне нужен патент", "анвар"),
        ("меня зовут анвар, мне нужен патент", "анвар"),
        ("Mening ismim Dilshod, patent qancha turadi?", "dilshod"),
        ("mening ismim dilshod patent qancha", "dilshod"),
        ("Номи ман Алишер, ба ман регистратсия лозим", "алишер"),
        ("номи ман алишер ба ман регистратсия лозим", "алишер"),
        ("работодатель Иван Петрович не платит", "иван"),
        ("работодатель петрович не платит", "петрович"),
        ("Anvar o'g'li Karimov patent olmoqchi", "anvar"),
        ("ish beruvchi karimov o'g'li pul bermayapti", "karimov"),
    ],
)
def test_names_are_removed(text: str, name: str) -> None:
    kept = scrub(text)
    assert name not in kept
    assert "<name>" in kept


def test_capitalised_words_inside_a_sentence_go_abbreviations_stay() -> None:
    kept = scrub("Сколько стоит ДМС в Москве? Работодатель Ахмедов не платит за РВП")
    assert kept == "сколько стоит дмс в <name>? работодатель <name> не платит за рвп"


def test_nothing_but_placeholders_is_not_kept() -> None:
    assert scrub("89991234567") == ""
    assert scrub("anvar@mail.ru") == ""
    assert scrub("   ") == ""


def test_long_texts_are_cut() -> None:
    kept = scrub("очень длинный вопрос про патент " * 40)
    assert len(kept) <= MAX_LENGTH and kept.endswith("…")


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("работодатель И.И. Иванов не платит", "работодатель <name> не платит"),
        ("живу в г. Москва. Нужен патент", "живу в г. <name>. нужен патент"),
        ("живу в г.Москва, нужен патент", "живу в г.<name>, нужен патент"),
        ("Нужен патент. Где его взять?", "нужен патент. где его взять"),
    ],
)
def test_initials_and_abbreviations_do_not_start_a_sentence(text: str, kept: str) -> None:
    assert scrub(text) == kept
