"""SMS segment arithmetic against known examples (GSM 03.38 and the 153/67-unit parts of a
concatenated message, whose header takes the rest)."""

from __future__ import annotations

import pytest

from bot.channels.sms_segments import fold_for_sms, is_gsm7, sms_cost


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extension table: two septets each
        ("€" * 81, "GSM-7", 162, 2),
        ("a" * 152 + "€", "GSM-7", 154, 1),
        ("a" * 159 + "[", "GSM-7", 161, 2),
        ("a" * 152 + "{" + "a" * 10, "GSM-7", 164, 2),  # the escape pair is not split
        ("ж" * 70, "UCS-2", 70, 1),
        ("ж" * 71, "UCS-2", 71, 2),
        ("ж" * 134, "UCS-2", 134, 2),
        ("ж" * 135, "UCS-2", 135, 3),
        ("a" * 159 + "ж", "UCS-2", 160, 3),  # one Cyrillic letter makes it all UCS-2
        ("🙂" * 35, "UCS-2", 70, 1),  # a surrogate pair is two units
        ("🙂" * 36, "UCS-2", 72, 2),
        ("ж" * 66 + "🙂" + "ж", "UCS-2", 69, 1),
        ("ж" * 66 + "🙂" + "ж" * 4, "UCS-2", 72, 2),  # the pair moves whole to part two
    ],
)
def test_known_costs(text: str, encoding: str, units: int, segments: int) -> None:
    cost = sms_cost(text)
    assert (cost.encoding, cost.units, cost.segments) == (encoding, units, segments)


def test_an_escape_pair_at_a_part_boundary_moves_whole() -> None:
    # 152 septets, then a two-septet character: it cannot end part one at 153/154
    assert sms_cost("a" * 152 + "€" + "a" * 10).segments == 2
    assert sms_cost("a" * 153 + "a" * 153 + "€").segments == 3


def test_uzbek_latin_folds_to_gsm7() -> None:
    text = "Oʻzbekiston fuqarolari uchun: roʻyxatdan oʻtish — 7 kun ichida. «Davomi»"
    assert not is_gsm7(text)
    folded = fold_for_sms(text)
    assert is_gsm7(folded)
    assert folded.startswith("O'zbekiston")
    assert sms_cost(folded).segments == 1
