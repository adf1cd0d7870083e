"""What an SMS costs: GSM-7 or UCS-2 encoding and the number of segments.

GSM-7 packs 160 septets in one message, 153 per part of a longer one; characters of the extension
table take two septets and are never split across parts. Anything outside GSM-7 makes the whole
message UCS-2: 70 UTF-16 units alone, 67 per part, a surrogate pair (an emoji) never split.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

# Typographic characters replaced so a Latin text stays GSM-7 without losing meaning.
SMS_FOLDS = str.maketrans(
    {
        "ʻ": "'",
        "ʼ": "'",
        "‘": "'",
        "’": "'",
        "`": "'",
        "´": "'",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "–": "-",
        "—": "-",
        "−": "-",
        "«": '"',
        "»": '"',
        "“": '"',
        "”": '"',
        "„": '"',
        "…": "...",
        "•": "-",
        "№": "N",
    }
)


@dataclass(frozen=True)
class SmsCost:
    encoding: str
    """'GSM-7' or 'UCS-2'."""
    units: int
    """Septets for GSM-7, UTF-16 code units for UCS-2."""
    segments: int


def fold_for_sms(text: str) -> str:
    """Replace typographic characters with plain ones (keeps Uzbek Latin within GSM-7)."""
    return text.translate(SMS_FOLDS)


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _pack(weights: list[int], single: int, part: int) -> int:
    """Segments needed for characters of the given unit weights (a character is never split)."""
    total = sum(weights)
    if total <= single:
        return 1 if total else 0
    segments, used = 1, 0
    for weight in weights:
        if used + weight > part:
            segments, used = segments + 1, 0
        used += weight
    return segments


def sms_cost(text: str) -> SmsCost:
    """Encoding, length in units and number of segments of `text` as it would be sent."""
    if is_gsm7(text):
        weights = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        return SmsCost("GSM-7", sum(weights), _pack(weights, 160, 153))
    weights = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return SmsCost("UCS-2", sum(weights), _pack(weights, 70, 67))
