"""Text normalisation shared by every comparison of what a user typed with what editors wrote.

Case, Unicode forms, apostrophe variants and spacing never matter; Uzbek Cyrillic is folded to the
Latin script the content is written in, so both scripts compare equal.
"""

from __future__ import annotations

import re
import unicodedata

from bot.engine.memo import ShortTextMemo

# Every apostrophe-like mark people type for the Uzbek oʻ/gʻ and the tutuq belgisi.
_APOSTROPHES = dict.fromkeys(map(ord, "ʻʼ‘’`´'ʹʽꞌ′"), "'")

_UZ_CYRILLIC = {
    "ў": "o'",
    "ғ": "g'",
    "қ": "q",
    "ҳ": "h",
    "ш": "sh",
    "ч": "ch",
    "ё": "yo",
    "ю": "yu",
    "я": "ya",
    "ц": "ts",
    "щ": "sh",
    "ъ": "'",
    "ь": "",
    "э": "e",
    "й": "y",
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ж": "j",
    "з": "z",
    "и": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "x",
    "ы": "i",
}
_UZ_TABLE = str.maketrans(_UZ_CYRILLIC)
_SPACES = re.compile(r"\s+")
_EDGE_PUNCT = re.compile(r"^[\s.,!?;:«»\"()\-–—]+|[\s.,!?;:«»\"()\-–—]+$")


@ShortTextMemo
def normalize(text: str) -> str:
    """Fold case, Unicode form, apostrophes and spacing; strip punctuation at the ends."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    folded = _SPACES.sub(" ", folded)
    return _EDGE_PUNCT.sub("", folded)


def uz_to_latin(text: str) -> str:
    """Transliterate (already normalised) Uzbek Cyrillic into the Latin script."""
    return text.translate(_UZ_TABLE)


def fold_for_lang(text: str, lang: str) -> str:
    """Normalise, and for Uzbek also fold Cyrillic input to Latin."""
    folded = normalize(text)
    return uz_to_latin(folded) if lang == "uz" else folded
