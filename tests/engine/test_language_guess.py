"""Telling a message's language from its words and letters, without a list of its own."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

from bot.cli import match as match_cli
from bot.engine.language_guess import LanguageGuess
from bot.engine.model import Bundle

TOY = LanguageGuess.from_texts(
    {
        "ru": ["Сколько стоит патент в Москве", "Где сделать регистрацию"],
        "uz": ["Patent qancha turadi", "Roʻyxatdan qayerda oʻtish kerak"],
        "tg": ["Патент чанд пул аст", "Бақайдгирӣ дар куҷо лозим"],
    }
)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("сколько стоит", "ru"),
        ("qancha turadi", "uz"),
        ("қанча турaди", "uz"),  # Uzbek in Cyrillic compares as its Latin spelling
        ("чанд пул", "tg"),
        ("chand pul", "tg"),  # Tajik typed in Latin letters
        ("хозир ишлайман ўзим", "uz"),  # "ў" is written by Uzbek alone
        ("ман мехоҳам ҷавоб", "tg"),  # "ҷ" and "ӯ/ӣ" by Tajik alone
        ("регистрацию оформить", "ru"),  # a form no text has, that starts like one that does
    ],
)
def test_a_message_in_one_language_is_told(text: str, lang: str) -> None:
    assert TOY(text) == lang


@pytest.mark.parametrize("text", ["патент", "ПАТЕНТ патент", "салом", "ok", "", "12345"])
def test_shared_or_unknown_words_leave_it_undecided(text: str) -> None:
    """A word every language uses (патент) is no evidence; nothing known is no guess."""
    assert TOY(text) is None


def test_close_evidence_is_undecided() -> None:
    """As much Russian as Uzbek: the bot asks rather than picking one."""
    assert TOY("сколько qancha") is None


def test_the_shipped_content_tells_its_own_languages(shipped_bundle: Bundle) -> None:
    guess = LanguageGuess.from_bundle(shipped_bundle)
    assert guess("сколько стоит патент в москве") == "ru"
    assert guess("Moskvada patent qancha turadi") == "uz"
    assert guess("патент дар Маскав чанд пул аст") == "tg"


def test_the_language_evaluation_keeps_held_out_messages_hidden(
    capsys: pytest.CaptureFixture[str],
) -> None:
    held_out = match_cli.PROJECT_ROOT / "tests" / "eval" / "heldout.tsv"
    parser = argparse.ArgumentParser()
    match_cli.add_parser(parser.add_subparsers())
    args = parser.parse_args(["match", "--eval-language", str(held_out), "--show-misses"])
    assert args.run(args) == 2
    assert "held-out" in capsys.readouterr().err


def test_the_language_evaluation_prints_figures_per_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = ["lang\texpected\ttext", "ru\tnone\tсколько стоит", "uz\tnone\tqancha turadi"]
    path = tmp_path / "set.tsv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    guess = LanguageGuess.from_bundle(Bundle(root=str(tmp_path)))  # knows no word at all
    assert match_cli.evaluate_language(guess, path, sys.stdout) == 0
    out = capsys.readouterr().out
    assert "ru: right   0.0%  undecided 100.0%" in out  # undecided is asked, never wrong
