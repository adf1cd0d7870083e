"""Cutting a long SMS body into pages the user asks for one at a time.

A long answer sent at once costs every segment whether or not it is read; paged, the user pays
for what they ask for. Each page but the last ends with a hint ("MORE: reply ...") and costs at
most the budget with it. The numbered options stay together on the last page: they are what the
user answers, so they must arrive whole and last.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from bot.channels.sms_segments import fold_for_sms, sms_cost

OPTION_LINE = re.compile(r"\d+ \S")
SENTENCE_END = ".!?…"
CLOSERS = "\"')»”"
JOINERS = frozenset("\u200d\ufe0e\ufe0f")


def paginate(body: str, max_segments: int, more_hint: str) -> list[str]:
    """`body` as pages of at most `max_segments` segments, hints included; [body] if it fits."""
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    if _fits(body, max_segments):
        return [body]
    hint = fold_for_sms(more_hint)  # a stray ʻ would turn a whole Latin page into UCS-2
    rest, options = _split_options(body)
    if options and not _fits(options, max_segments):
        rest, options = body, ""  # the menu alone is too long: page it like any text
    pages: list[str] = []
    while rest:
        last = f"{rest}\n{options}" if options else rest
        if _fits(last, max_segments):
            break
        cut = _cut(rest, hint, max_segments)
        pages.append(f"{rest[:cut].rstrip()}\n{hint}")
        rest = rest[cut:].lstrip()
    pages.append(f"{rest}\n{options}" if rest and options else rest or options)
    return pages


def _fits(text: str, max_segments: int) -> bool:
    return sms_cost(text).segments <= max_segments


def _split_options(body: str) -> tuple[str, str]:
    """The text and the block of numbered option lines ending it ('' when there is none)."""
    lines = body.rstrip().split("\n")
    first = len(lines)
    while first > 0 and OPTION_LINE.match(lines[first - 1]):
        first -= 1
    return "\n".join(lines[:first]).rstrip(), "\n".join(lines[first:])


def _cut(text: str, hint: str, max_segments: int) -> int:
    """Where to end a page of `text`: a sentence end, else a space, else as far as fits."""
    lo, hi = 0, len(text)  # text[:lo] + hint fits; text[:hi + 1] + hint does not (if hi < len)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _fits(f"{text[:mid].rstrip()}\n{hint}", max_segments):
            lo = mid
        else:
            hi = mid - 1
    if lo == 0:
        raise ValueError(f"the hint {hint!r} leaves no room for text in {max_segments} segment(s)")
    if lo == len(text):
        return lo
    if lo < len(text) and text[lo].isspace():
        lo += 1  # a page may end just before a space: the space is then the cut
    sentence = _last(text, lo, _is_sentence_end)
    if sentence * 2 >= lo:  # a sentence end in the first half would waste most of a page
        return sentence
    space = _last(text, lo, lambda t, i: t[i].isspace())
    if space:
        return space
    return _grapheme_safe(text, min(lo, len(text) - 1))


def _last(text: str, end: int, is_cut: Callable[[str, int], bool]) -> int:
    """The last position before `end` where `is_cut(text, i)` holds with text before it, or 0."""
    for i in range(min(end, len(text)) - 1, 0, -1):
        if is_cut(text, i) and text[:i].strip():
            return i
    return 0


def _is_sentence_end(text: str, i: int) -> bool:
    if text[i] == "\n":
        return True
    if not text[i].isspace():
        return False
    j = i
    while j > 0 and text[j - 1] in CLOSERS:
        j -= 1
    return j > 0 and text[j - 1] in SENTENCE_END


def _grapheme_safe(text: str, cut: int) -> int:
    """`cut` moved back so that no accent, joiner or variation selector starts the next page."""
    while cut > 1 and (
        text[cut] in JOINERS or unicodedata.combining(text[cut]) or text[cut - 1] == "\u200d"
    ):
        cut -= 1
    return cut
