"""Scrubbing a message before it is kept for editors: what could identify someone goes first.

The rules remove rather than keep when unsure, because a kept text is read by people and nobody
can take it back from them:
- links, e-mail addresses and @handles;
- the words after an introduction ("меня зовут", "mening ismim", "номи ман", "фамилия"...);
- patronymics and surname endings (-ович, -овна, o'g'li, qizi, -зода);
- document numbers: a word mixing letters and digits, a number after "№", a short capital series
  before a number ("AA 1234567");
- every capitalised word inside a sentence (a name, a place, a company) and every initial ("И."),
  except short all-capital abbreviations of up to four letters (РВП, ВНЖ, ДМС, НДФЛ): editors
  need those; a full stop after an initial or a one-letter abbreviation ("г.") ends no sentence;
- every run of digits becomes `#`, and numbers written in groups (a phone number) become one `#`.
What is left is case-folded and cut to MAX_LENGTH characters. Names written in lower case with no
introduction are not recognised: PRIVACY.md says so.
"""

from __future__ import annotations

import re
import unicodedata

from bot.engine.normalize import normalize

MAX_LENGTH = 300
"""Characters kept of a scrubbed text (a question, not a story)."""
LINK = "<link>"
EMAIL = "<email>"
NAME = "<name>"
NUMBER = "<number>"
PLACEHOLDERS = (LINK, EMAIL, NAME, NUMBER)

_WORD = r"[^\W\d_][\w'ʻʼ‘’`\-]*"
_LINK = re.compile(
    r"(?i)\b(?:https?://|www\.)\S+"
    r"|\b(?:[\w\-]+\.)+(?:[a-z]{2,10}|рф|укр)\b(?:/\S*)?"
)
_EMAIL = re.compile(r"\S+@\S+")
_HANDLE = re.compile(r"@\w+")
_INTRODUCTIONS = (
    # ru
    "меня зовут",
    "зовут",
    "моё имя",
    "мое имя",
    "имя",
    "фамилия",
    "фио",
    "отчество",
    # uz (both scripts)
    "mening ismim",
    "ismim",
    "ism",
    "familiyam",
    "familiya",
    "sharifim",
    "otim",
    "менинг исмим",
    "исмим",
    "фамилиям",
    "фамилия",
    "отим",
    # tg (both scripts)
    "номи ман",
    "номам",
    "ном",
    "насабам",
    "насаб",
    "nomi man",
    "nomam",
    "nasabam",
    # en
    "my name is",
    "name",
)
_INTRODUCED = re.compile(
    r"(?i)(?<!\w)(?:"
    + "|".join(sorted((re.escape(p) for p in set(_INTRODUCTIONS)), key=len, reverse=True))
    + r")(?!\w)[\s:,\-–—]*((?:"
    + _WORD
    + r"[ \t]*){1,3})"
)
_FAMILY_ENDINGS = re.compile(
    r"(?i)(?<!\w)" + _WORD + r"(?:ович|евич|овна|евна|ична|ovich|evich|ovna|evna"
    r"|o'g'li|ogli|ugli|ўғли|угли|qizi|кизи|қизи|зода|zoda)(?!\w)"
)
_FAMILY_WORDS = re.compile(
    r"(?i)(?<!\w)(?:"
    + _WORD
    + r"\s+)?(?:o['ʻʼ‘’`]?g['ʻʼ‘’`]?li|ўғли|угли|ugli|qizi|қизи|кизи)(?!\w)"
)
_SERIES = re.compile(r"(?<!\w)(?:[A-ZА-ЯЁ]{1,3}|№|No\.?)[\s\-]?\d[\d\s\-]*")
"""A document's series or number sign before its number ("AA 1234567", "№ 123": NFKC writes
№ as "No")."""
_MIXED = re.compile(r"(?<!\w)(?=[\w\-]*\d)(?=[\w\-]*[^\W\d_])[\w\-]+")
_TOKEN = re.compile(_WORD)
_DIGITS = re.compile(r"\d+")
_NUMBER_GROUPS = re.compile(r"\+?#(?:[\s\-.()/]*#)+\)?")
_REPEATED = re.compile(r"(<(?:link|email|name|number)>)(?:[\s,.]*\1)+")
_SPACE_BEFORE_MARK = re.compile(r"\s+([,.!?;:])")
_OPENERS = " \t\"'«»“”„()-–—"
_SENTENCE_ENDS = "!?…\n"
_ONE_LETTER_STOP = re.compile(r"(?<!\w)\w\.$")
ABBREVIATION_MAX = 4
"""All-capital words up to this long are kept as abbreviations (РВП, ВНЖ, ДМС, НДФЛ)."""


def scrub(text: str) -> str:
    """`text` without what could identify someone (see the module's rules), case-folded; ""
    when nothing worth keeping is left."""
    out = unicodedata.normalize("NFKC", text[: MAX_LENGTH * 4])
    out = _EMAIL.sub(f" {EMAIL} ", out)
    out = _LINK.sub(f" {LINK} ", out)
    out = _HANDLE.sub(f" {NAME} ", out)
    out = _INTRODUCED.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + f"{NAME} ", out)
    out = _FAMILY_ENDINGS.sub(NAME, out)
    out = _FAMILY_WORDS.sub(NAME, out)
    out = _SERIES.sub(f"{NUMBER} ", out)
    out = _MIXED.sub(NUMBER, out)
    out = _capitalised_words(out)
    out = _DIGITS.sub("#", out)
    out = _NUMBER_GROUPS.sub("#", out)
    out = _REPEATED.sub(r"\1", out)
    out = _SPACE_BEFORE_MARK.sub(r"\1", normalize(out))
    if not _TOKEN.search(_placeholders_removed(out)):
        return ""
    return _cut(out)


def _capitalised_words(text: str) -> str:
    """Capitalised words inside a sentence become NAME, and so do initials ("И."); a sentence's
    first word stays (it is capitalised by grammar, not because it is a name), as do short
    abbreviations."""
    parts: list[str] = []
    last = 0
    for m in _TOKEN.finditer(text):
        word = m.group(0)
        if not word[0].isupper():
            continue
        initial = len(word) == 1 and text.startswith(".", m.end())
        abbreviation = word.isupper() and len(word) <= ABBREVIATION_MAX
        if not initial and (abbreviation or _starts_sentence(text, m.start())):
            continue
        parts += [text[last : m.start()], NAME]
        last = m.end()
    parts.append(text[last:])
    return "".join(parts)


def _starts_sentence(text: str, start: int) -> bool:
    """Whether the word at `start` begins a sentence: the text's start, or after ! ? … or a line
    break, or after a full stop and a space unless the stop ends an initial or a one-letter
    abbreviation ("И.И. Иванов", "г. Москва")."""
    before = text[:start]
    stripped = before.rstrip(_OPENERS)
    if not stripped or stripped[-1] in _SENTENCE_ENDS:
        return True
    return (
        stripped[-1] == "."
        and len(stripped) < len(before)
        and not _ONE_LETTER_STOP.search(stripped)
    )


def _placeholders_removed(text: str) -> str:
    for placeholder in PLACEHOLDERS:
        text = text.replace(placeholder, " ")
    return text


def _cut(text: str) -> str:
    if len(text) <= MAX_LENGTH:
        return text
    cut = text[: MAX_LENGTH - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > MAX_LENGTH // 2 else cut) + "…"
